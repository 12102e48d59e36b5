import http2, { type ServerHttp2Session, type ServerHttp2Stream } from "node:http2";
import type { TDownstream } from "../pipeline/downstream.ts";
import type { TListenerLimits } from "@switchyard/config-model";

/**
 * The listener limits on HTTP/2 (h2 over TLS and h2c), where the HTTP/1.1 engine's head
 * reader and its header / request / idle timeouts do not apply:
 *   - maxHeaderBytes: advertised as SETTINGS_MAX_HEADER_LIST_SIZE (enforced by Node with
 *     RST_STREAM once acknowledged) and checked per request (`headerListTooLarge`): a
 *     client's first flight is sent before it has seen our SETTINGS;
 *   - maxConcurrentStreams: SETTINGS_MAX_CONCURRENT_STREAMS (default 100); Node refuses
 *     streams beyond it with REFUSED_STREAM;
 *   - maxHeadersCount: Node's maxHeaderListPairs (pseudo-headers included), fixed when
 *     the socket is opened;
 *   - headersTimeoutMs: a session must open its first stream within it (`armFirstStream`),
 *     as an HTTP/1.1 connection must send its first head; after that idleTimeoutMs applies;
 *   - requestTimeoutMs: a stream's request (head and body) must be received within it
 *     (`armRequestTimeout`): 408 while no response has started, then RST_STREAM. A stream
 *     whose response has started (a streaming gRPC call the upstream is answering) is left
 *     alone, so long-lived streams are not cut by a limit meant for slow uploads.
 */

/** HPACK's accounting (RFC 7541 §4.1): name + value + 32 per field. */
const FIELD_OVERHEAD = 32;

/** limits.maxConcurrentStreams when absent (Envoy's edge best practice). */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 100;

export function h2Settings(l: TListenerLimits): http2.Settings {
  return { maxHeaderListSize: l.maxHeaderBytes, maxConcurrentStreams: l.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS };
}

/** Header pairs Node accepts per stream: the listener's field limit plus the four pseudo-headers. */
export function maxHeaderListPairs(maxHeadersCount: number): number {
  return maxHeadersCount + 4;
}

export function headerListTooLarge(rawHeaders: readonly string[], maxBytes: number): boolean {
  let size = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    size += (rawHeaders[i] as string).length + (rawHeaders[i + 1] as string).length + FIELD_OVERHEAD;
    if (size > maxBytes) return true;
  }
  return false;
}

export function armFirstStream(session: ServerHttp2Session, headersTimeoutMs: number): void {
  if (headersTimeoutMs <= 0) return;
  const timer = setTimeout(() => session.destroy(), headersTimeoutMs);
  timer.unref();
  session.once("stream", () => clearTimeout(timer));
  session.once("close", () => clearTimeout(timer));
}

export function armRequestTimeout(stream: ServerHttp2Stream, downstream: TDownstream, requestTimeoutMs: number): void {
  if (requestTimeoutMs <= 0 || stream.endAfterHeaders) return;
  const timer = setTimeout(() => {
    if (stream.destroyed || stream.closed) return;
    if (downstream.headersSent) return;
    downstream.writeHead(408, ["content-type", "text/plain", "content-length", "16"]);
    downstream.end("request timeout\n");
    // RFC 9113 §8.1: a complete response with RST_STREAM(NO_ERROR) tells the client to stop sending.
    stream.close(http2.constants.NGHTTP2_NO_ERROR);
  }, requestTimeoutMs);
  timer.unref();
  const clear = () => clearTimeout(timer);
  // The request is complete once the client ends its side (the body was received).
  stream.once("end", clear);
  stream.once("close", clear);
}
