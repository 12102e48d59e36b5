import type { TExtAuthzFilter } from "@switchyard/config-model";
import { HOP_BY_HOP } from "../router/upstream-headers.ts";

/** The extAuthz config compiled once per version. */
export type TExtAuthzConfig = {
  readonly url: URL;
  /** The service URL's path without a trailing '/': the request's path is appended. */
  readonly pathPrefix: string;
  readonly timeoutMs: number;
  /** Request headers sent to the service (authorization always). */
  readonly requestHeaders: readonly string[];
  readonly upstreamHeaders: readonly string[];
  /** Headers of a denying answer passed to the client: a set, or null = all but these. */
  readonly clientHeaders: ReadonlySet<string> | null;
  readonly body: { readonly maxBytes: number; readonly partial: boolean } | null;
  readonly failOpen: boolean;
  readonly statusOnError: number;
};

/** Never passed back to the client from a denying answer: the proxy writes these itself. */
export const NOT_FROM_SERVICE: ReadonlySet<string> = new Set([...HOP_BY_HOP, "content-length", "host", "x-switchyard-response-flags", "x-request-id"]);

export function compileExtAuthz(f: TExtAuthzFilter): TExtAuthzConfig {
  const url = new URL(f.url);
  const lower = (names: readonly string[]) => Object.freeze([...new Set(names.map((n) => n.toLowerCase()))]);
  return Object.freeze({
    url,
    pathPrefix: url.pathname.replace(/\/+$/, ""),
    timeoutMs: f.timeoutMs,
    requestHeaders: lower(["authorization", ...f.allowedHeaders]),
    upstreamHeaders: lower(f.allowedUpstreamHeaders),
    clientHeaders: f.allowedClientHeaders ? new Set(lower(f.allowedClientHeaders)) : null,
    body: f.withRequestBody ? Object.freeze({ maxBytes: f.withRequestBody.maxRequestBytes, partial: f.withRequestBody.allowPartialMessage }) : null,
    failOpen: f.failOpen,
    statusOnError: f.statusOnError,
  });
}
