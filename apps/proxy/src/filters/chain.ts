import type { IncomingHttpHeaders } from "node:http";
import type { TPeerIdentity } from "../listener/peer-identity.ts";
import type { TResponseFlag } from "../upstream/errors.ts";

/**
 * The HTTP filter chain (Envoy's decoder filters). Each filter's config is compiled once
 * per version (`filters/<name>/config.ts`); per request, `onRequest` answers:
 *   null                   -> continue with the next filter (then the router);
 *   a TLocalReply          -> stop and answer locally (401, 403, CORS preflight 204...);
 *   a Promise of either    -> stop until it settles (JWKS fetch, signature check).
 * Filters run in config order; the router always runs last. Only the first async
 * filter costs a promise: fully synchronous chains stay synchronous.
 */

export type TLocalReply = {
  readonly status: number;
  /** Response flag for the access log and x-switchyard-response-flags ("" for none). */
  readonly flag: TResponseFlag | "";
  readonly body: string;
  /** Extra response headers, flat [name, value, ...]. */
  readonly headers: readonly string[];
};

/** Per-request state shared by the filters and the router. */
export type TFilterContext = {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress: string;
  /** Verified downstream client certificate (mTLS), else null. */
  readonly peer: TPeerIdentity | null;
  /** Claims of a verified JWT (set by jwtAuthn, read by rbac). */
  jwtClaims: Readonly<Record<string, unknown>> | null;
  /** Added to the upstream request, flat [name, value, ...]. */
  readonly addRequestHeaders: string[];
  /** Lower-case names removed from the upstream request. */
  readonly removeRequestHeaders: string[];
  /** Added to the response (upstream or local), flat [name, value, ...]. */
  readonly addResponseHeaders: string[];
};

export type TFilterResult = TLocalReply | null;

export type THttpFilterInstance = {
  readonly name: string;
  onRequest(ctx: TFilterContext): TFilterResult | Promise<TFilterResult>;
};

/** Runs filters from `start`; returns the first local reply (or null), synchronously when it can. */
export function runFilters(filters: readonly THttpFilterInstance[], ctx: TFilterContext, start = 0): TFilterResult | Promise<TFilterResult> {
  for (let i = start; i < filters.length; i++) {
    const r = (filters[i] as THttpFilterInstance).onRequest(ctx);
    if (r instanceof Promise) return r.then((v) => (v !== null ? v : runFilters(filters, ctx, i + 1)));
    if (r !== null) return r;
  }
  return null;
}
