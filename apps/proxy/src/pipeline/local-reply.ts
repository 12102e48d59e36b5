import type { TFilterRequest, THttpFilter } from "../filters/api.ts";
import { pushHeaderObject } from "../filters/header-map.ts";
import { grpcStatusForHttp } from "../filters/router/grpc.ts";

export const RESPONSE_FLAGS_HEADER = "x-switchyard-response-flags";

/** status, headers (flat), body, trailers (HTTP/2 only, else null). */
export type TLocalReplyParts = [number, string[], string | Buffer, Record<string, string> | null];

/**
 * What a local reply looks like for this request: plain text with x-request-id and the
 * response flag; for gRPC clients a gRPC error instead (HTTP 200, grpc-status from the
 * HTTP status by Envoy's mapping, grpc-message; in trailers on HTTP/2, in the head on
 * HTTP/1.1); on a refused HTTP/1.1 upgrade `connection: close`, since the socket carries
 * nothing after it. `noFlag` for answers that are not failures (a CORS preflight);
 * `grpcStatus` chosen by a filter (fault's grpcStatus abort) wins over the mapping.
 */
export function localReplyParts(
  req: { readonly grpc: boolean; readonly requestId: string; readonly isUpgrade: boolean; readonly downstream: { readonly h2: boolean } },
  status: number,
  flag: string,
  body: string | Buffer,
  extra: readonly string[],
  noFlag: boolean,
  grpcStatus?: number,
): TLocalReplyParts {
  const h2 = req.downstream.h2;
  const flagHeader = noFlag ? [] : [RESPONSE_FLAGS_HEADER, flag];
  const close = h2 || !req.isUpgrade ? [] : ["connection", "close"];
  if (req.grpc) {
    // gRPC clients read errors from grpc-status, always with HTTP 200 (gRPC over HTTP/2 spec).
    const message = encodeURIComponent(String(body).trim()).replace(/%20/g, " ");
    const code = String(grpcStatus ?? grpcStatusForHttp(status, flag));
    const head = ["content-type", "application/grpc", ...flagHeader, "x-request-id", req.requestId, ...extra];
    if (h2) {
      // The flag and the extra headers are repeated as trailers: a gRPC client shows an
      // error's trailing metadata (what a trailers-only answer would have carried).
      const trailers: Record<string, string> = { "grpc-status": code, "grpc-message": message };
      for (let i = 0; i < flagHeader.length; i += 2) trailers[flagHeader[i] as string] = flagHeader[i + 1] as string;
      for (let i = 0; i < extra.length; i += 2) trailers[extra[i] as string] = extra[i + 1] as string;
      return [200, head, "", trailers];
    }
    return [200, [...head, "grpc-status", code, "grpc-message", message, ...close], "", null];
  }
  const length = Buffer.byteLength(body);
  // A filter's own content-type (a JSON error body) replaces the plain-text default.
  const ownType = hasField(extra, "content-type");
  const headers = length ? [...(ownType ? [] : ["content-type", "text/plain"]), "content-length", String(length)] : ["content-length", "0"];
  headers.push(...flagHeader, "x-request-id", req.requestId, ...extra, ...close);
  return [status, headers, body, null];
}

/**
 * The chain's onLocalReply hooks (e.g. localReplies) over a local reply about to be
 * written, in chain order, each seeing the previous one's result. Synchronous: the reply
 * is written right after. Not for gRPC clients (their reply is a gRPC status).
 */
export function rewriteLocalReply(
  filters: readonly THttpFilter[],
  req: TFilterRequest,
  status: number,
  flags: string,
  body: string | Buffer,
  extra: readonly string[],
): [number, string | Buffer, readonly string[]] {
  for (const f of filters) {
    if (!f.onLocalReply) continue;
    const r = f.onLocalReply({ status, flags, body: String(body) }, req);
    if (!r) continue;
    if (r.status !== undefined) status = r.status;
    if (r.body !== undefined) body = r.body;
    if (r.headers) {
      // The hook's headers replace those of the same name.
      const names = new Set(Object.keys(r.headers).map((n) => n.toLowerCase()));
      const pairs: string[] = [];
      for (let i = 0; i < extra.length; i += 2) if (!names.has((extra[i] as string).toLowerCase())) pairs.push(extra[i] as string, extra[i + 1] as string);
      pushHeaderObject(pairs, r.headers);
      extra = pairs;
    }
  }
  return [status, body, extra];
}

function hasField(flat: readonly string[], name: string): boolean {
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) return true;
  return false;
}
