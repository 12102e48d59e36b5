import type { TLocalReplyRewrite, THttpFilter } from "../api.ts";
import { asIs } from "./template.ts";
import type { TCompiledMapper, TLocalRepliesConfig } from "./config.ts";

/**
 * Custom local replies (Envoy's local_reply_config): every reply the proxy writes itself
 * on this request (404 NR, 503 UH, 504 UT, 429 RL, a filter's 401/403, fault aborts...)
 * passes onLocalReply. The first mapper whose match holds (any listed flag, any listed
 * status) may change the status, the %LOCAL_REPLY_BODY% and add headers; then the
 * mapper's format, else the filter's, writes the body (JSON or text/HTML). Upstream
 * answers are never touched; gRPC clients keep their gRPC status.
 */
export function createLocalRepliesFilter(name: string, cfg: TLocalRepliesConfig): THttpFilter {
  const matches = (m: TCompiledMapper, status: number, flags: string) =>
    (m.statuses === null || m.statuses.has(status)) && (m.flags === null || flags.split(",").some((f) => (m.flags as ReadonlySet<string>).has(f)));
  return {
    name,
    onLocalReply(reply, req): TLocalReplyRewrite | undefined {
      const m = cfg.mappers.find((x) => matches(x, reply.status, reply.flags));
      const format = m?.format ?? cfg.format;
      if (!m && !format) return;
      const status = m?.status ?? reply.status;
      const headers: Record<string, string> = {};
      let ctx = { status, flags: reply.flags, body: reply.body, req };
      if (m?.body) ctx = { ...ctx, body: m.body.render(ctx, asIs) };
      for (const [n, t] of m?.headers ?? []) headers[n] = t.render(ctx, asIs);
      if (!format) return { status, headers, body: ctx.body };
      headers["content-type"] = format.contentType;
      return { status, headers, body: format.render(ctx) };
    },
  };
}
