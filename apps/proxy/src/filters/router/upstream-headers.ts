import { TRACE_HEADERS } from "../../observability/tracing/context.ts";
import { peerIdentity } from "../../listener/peer-identity.ts";
import type { ActiveRequest } from "../../pipeline/active-request.ts";
import { isProxyOwnedRequestHeader } from "./client-headers.ts";

/** RFC 9110 §7.6.1 connection-specific fields, plus `expect` (we answer 100-continue ourselves). */
export const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);
/** Request headers the proxy sets itself, so incoming copies are dropped first. */
const REQUEST_OWNED = new Set(["host", "content-length", "x-request-id", "x-forwarded-proto", "x-forwarded-for", "expect", "x-forwarded-client-cert"]);

/**
 * The upstream request's headers, for a forwarded request and for a tunnel (Upgrade)
 * alike: the request's fields as the filters left them (or as the client sent them when
 * the chain is empty) minus hop-by-hop ones, then host, content-length, x-forwarded-*,
 * x-request-id and XFCC set by the proxy. Trace headers are written per try (startTry),
 * with that try's span id as parent. A tunnel keeps `Connection: upgrade` + `Upgrade`.
 */
export function buildUpstreamHeaders(ar: ActiveRequest, hostRewrite: string | null, tunnel: boolean): string[] {
  const edited = ar.filterReq?.headerListIfBuilt() ?? null;
  const fromFilters = edited !== null;
  const src = edited ?? ar.req.rawHeaders;
  const out: string[] = [];
  const connection = ar.headers.connection;
  // Fields named in Connection are hop-by-hop too (RFC 9110 §7.6.1).
  const named = connection && connection !== "keep-alive" && connection !== "close" ? new Set(connection.toLowerCase().split(/\s*,\s*/)) : null;
  for (let i = 0; i < src.length; i += 2) {
    const name = fromFilters ? (src[i] as string) : (src[i] as string).toLowerCase();
    // HTTP/2 pseudo-headers (:method, :path, :authority, :scheme) are not fields.
    if (name.charCodeAt(0) === 58 || HOP_BY_HOP.has(name) || REQUEST_OWNED.has(name) || TRACE_HEADERS.has(name) || (named !== null && named.has(name))) continue;
    // X-Real-IP, Forwarded, x-switchyard-*...: the proxy's to say, never a client's (nor a filter's).
    if (isProxyOwnedRequestHeader(name)) continue;
    out.push(name, src[i + 1] as string);
  }
  if (tunnel) out.push("connection", "upgrade", "upgrade", String(ar.headers.upgrade ?? ""));
  // TE is hop-by-hop, but "trailers" must reach gRPC servers (RFC 9113 §8.2.2 allows exactly
  // that value); a filter may ask for it (grpcWeb, whose browser clients never send it).
  const te = fromFilters ? ar.filterReq?.headers.get("te") : ar.headers.te;
  if (typeof te === "string" && te.includes("trailers")) out.push("te", "trailers");
  const host = hostRewrite ?? ar.host;
  if (host) out.push("host", host);
  // A body filter may change the length: the body then goes chunked.
  const contentLength = ar.headers["content-length"];
  if (contentLength !== undefined && !ar.chain.requestBody) out.push("content-length", contentLength);
  // The connection's peer is appended (with PROXY protocol: the source its header
  // declared), not the client address trustedHops resolved: that one is already in the list.
  const remote = ar.req.socket?.remoteAddress ?? "";
  const xff = ar.headers["x-forwarded-for"];
  out.push("x-forwarded-for", xff ? `${xff}, ${remote}` : remote);
  out.push("x-forwarded-proto", ar.tlsSocket ? "https" : "http");
  out.push("x-request-id", ar.requestId);
  // Envoy's forward_client_cert_details SANITIZE_SET: a client's own XFCC is dropped
  // (REQUEST_OWNED) and only a verified certificate is described.
  if (ar.tlsSocket) {
    const peer = ar.filterReq ? ar.filterReq.peer : peerIdentity(ar.tlsSocket);
    if (peer) out.push("x-forwarded-client-cert", peer.xfcc);
  }
  return out;
}
