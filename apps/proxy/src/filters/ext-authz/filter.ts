import type { TFilterLocalReply, TFilterRequest, THttpFilter } from "../api.ts";
import { callAuthzService, type TAuthzAnswer } from "./call.ts";
import { NOT_FROM_SERVICE, type TExtAuthzConfig } from "./config.ts";

const EMPTY = Buffer.alloc(0);
/** Set on the upstream request when the service failed and failOpen let it through (Envoy: x-envoy-auth-failure-mode-allowed; x-switchyard-* request headers are the proxy's own). */
export const FAILURE_MODE_ALLOWED_HEADER = "x-auth-failure-mode-allowed";

type TBodyState = { chunks: Buffer[]; bytes: number; decided: boolean };

/**
 * External authorization over HTTP (Envoy's ext_authz, HTTP service mode). Each request
 * is checked by a request to the service: same method, the request's path and query
 * appended to the service URL's path, the configured request headers plus
 * x-forwarded-host / -proto / -for and x-request-id, and (withRequestBody) the body up
 * to a limit. A 2xx answer allows: its allowedUpstreamHeaders are set on the upstream
 * request. Any other answer denies: the client gets its status, body and headers, flag
 * UAEX. The service failing (refused, reset, timeoutMs passed): failOpen lets the request
 * through, else statusOnError with flag UAEX.
 *
 * With withRequestBody the check waits for the body (held here: the upstream request
 * does not start before the answer, see router/request-body.ts firstBytes).
 */
export function createExtAuthzFilter(name: string, cfg: TExtAuthzConfig): THttpFilter {
  const bodies = new WeakMap<TFilterRequest, TBodyState>();

  const check = async (req: TFilterRequest, body: Buffer | null): Promise<TFilterLocalReply | undefined> => {
    const headers: Record<string, string> = {
      "x-forwarded-host": req.authority,
      "x-forwarded-proto": req.scheme,
      "x-forwarded-for": req.remoteAddress,
      "x-request-id": req.requestId,
    };
    for (const h of cfg.requestHeaders) {
      const v = req.headers.get(h);
      if (v !== undefined) headers[h] = v;
    }
    const path = cfg.pathPrefix + req.path + (req.query ? `?${req.query}` : "");
    let answer: TAuthzAnswer;
    try {
      answer = await callAuthzService(cfg.url, req.method, path, headers, body, cfg.timeoutMs);
    } catch {
      if (!cfg.failOpen) return { status: cfg.statusOnError, flag: "UAEX", body: "external authorization failed\n" };
      req.headers.set(FAILURE_MODE_ALLOWED_HEADER, "true");
      return undefined;
    }
    if (answer.status >= 200 && answer.status < 300) {
      for (const h of cfg.upstreamHeaders) {
        const v = answer.headers[h];
        if (v !== undefined) req.headers.set(h, Array.isArray(v) ? v.join(", ") : v);
      }
      return undefined;
    }
    return { status: answer.status, flag: "UAEX", headers: clientHeaders(answer, cfg.clientHeaders), body: answer.body };
  };

  return {
    name,
    onRequestHeaders(req) {
      // Without a body to wait for, the check runs now (a request without a body never reaches onRequestBody).
      if (cfg.body === null || !req.hasBody) return check(req, null);
      bodies.set(req, { chunks: [], bytes: 0, decided: false });
    },
    async onRequestBody(chunk, end, req) {
      const b = cfg.body;
      const s = bodies.get(req);
      if (b === null || s === undefined || s.decided) return;
      s.chunks.push(chunk);
      s.bytes += chunk.length;
      if (s.bytes > b.maxBytes && !b.partial) return { status: 413, body: `request body larger than ${b.maxBytes} bytes\n` };
      if (!end && s.bytes <= b.maxBytes) return EMPTY; // held until the answer
      s.decided = true;
      const all = Buffer.concat(s.chunks);
      s.chunks = [];
      const denied = await check(req, all.subarray(0, b.maxBytes));
      // Allowed: everything held goes upstream now, later chunks pass untouched.
      return denied ?? all;
    },
  };
}

/** The denying answer's headers the client gets (never the ones the proxy writes itself). */
function clientHeaders(answer: TAuthzAnswer, allowed: ReadonlySet<string> | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [n, v] of Object.entries(answer.headers)) {
    if (v === undefined || NOT_FROM_SERVICE.has(n)) continue;
    if (allowed !== null && !allowed.has(n)) continue;
    out[n] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}
