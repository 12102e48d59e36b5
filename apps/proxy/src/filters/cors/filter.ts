import type { TFilterContext, TFilterResult, THttpFilterInstance } from "../chain.ts";
import type { TCorsConfig } from "./config.ts";

/**
 * CORS (Fetch standard): a request without `Origin` passes untouched. A preflight
 * (OPTIONS + Origin + Access-Control-Request-Method) is answered locally with 204: the
 * allow-* headers when the origin is allowed, none when it is not (the browser then
 * blocks the call). Other requests from an allowed origin get Access-Control-Allow-Origin
 * (+ credentials, expose) on the response. With credentials, "*" is answered with the
 * request's origin, since browsers reject "*" with credentials.
 */
export function createCorsFilter(cfg: TCorsConfig): THttpFilterInstance {
  return {
    name: "cors",
    onRequest(ctx: TFilterContext): TFilterResult {
      const origin = ctx.headers.origin;
      if (typeof origin !== "string") return null;
      const allowed = cfg.origins === null || cfg.origins.has(origin);
      const isPreflight = ctx.method === "OPTIONS" && ctx.headers["access-control-request-method"] !== undefined;
      const allowOrigin = cfg.origins === null && !cfg.allowCredentials ? "*" : origin;
      if (isPreflight) {
        const headers: string[] = [];
        if (allowed) {
          headers.push("access-control-allow-origin", allowOrigin, "access-control-allow-methods", cfg.allowMethods, "access-control-max-age", cfg.maxAge);
          if (cfg.allowHeaders) headers.push("access-control-allow-headers", cfg.allowHeaders);
          if (cfg.allowCredentials) headers.push("access-control-allow-credentials", "true");
        }
        headers.push("vary", "origin");
        return { status: 204, flag: "", body: "", headers };
      }
      if (!allowed) return null;
      ctx.addResponseHeaders.push("access-control-allow-origin", allowOrigin, "vary", "origin");
      if (cfg.allowCredentials) ctx.addResponseHeaders.push("access-control-allow-credentials", "true");
      if (cfg.exposeHeaders) ctx.addResponseHeaders.push("access-control-expose-headers", cfg.exposeHeaders);
      return null;
    },
  };
}
