import type { TFilterRequest, TFilterResponse, THttpFilter } from "../api.ts";
import type { TCorsConfig } from "./config.ts";

/**
 * CORS (Fetch standard): a request without `Origin` passes untouched. A preflight
 * (OPTIONS + Origin + Access-Control-Request-Method) is answered locally with 204: the
 * allow-* headers when the origin is allowed, none when it is not (the browser then
 * blocks the call). Responses to other requests from an allowed origin get
 * Access-Control-Allow-Origin (+ credentials, expose), local replies included. With
 * credentials, "*" is answered with the request's origin, since browsers reject "*" then.
 */
export function createCorsFilter(name: string, cfg: TCorsConfig): THttpFilter {
  const allowOriginFor = (origin: string) => (cfg.origins === null && !cfg.allowCredentials ? "*" : origin);
  const allowed = (origin: string) => cfg.origins === null || cfg.origins.has(origin);
  return {
    name,
    onRequestHeaders(req: TFilterRequest) {
      const origin = req.headers.get("origin");
      if (origin === undefined || req.method !== "OPTIONS" || !req.headers.has("access-control-request-method")) return;
      const headers: Record<string, string> = {};
      if (allowed(origin)) {
        headers["access-control-allow-origin"] = allowOriginFor(origin);
        headers["access-control-allow-methods"] = cfg.allowMethods;
        headers["access-control-max-age"] = cfg.maxAge;
        if (cfg.allowHeaders) headers["access-control-allow-headers"] = cfg.allowHeaders;
        if (cfg.allowCredentials) headers["access-control-allow-credentials"] = "true";
      }
      headers.vary = "origin";
      return { status: 204, headers };
    },
    onResponseHeaders(res: TFilterResponse, req: TFilterRequest) {
      const origin = req.headers.get("origin");
      if (origin === undefined || !allowed(origin)) return;
      res.headers.add("access-control-allow-origin", allowOriginFor(origin));
      res.headers.add("vary", "origin");
      if (cfg.allowCredentials) res.headers.add("access-control-allow-credentials", "true");
      if (cfg.exposeHeaders) res.headers.add("access-control-expose-headers", cfg.exposeHeaders);
    },
  };
}
