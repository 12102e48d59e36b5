import type { TBufferLimitsFilter } from "@switchyard/config-model";
import type { TFilterLocalReply, TFilterRequest, THttpFilter } from "../api.ts";

const EMPTY = Buffer.alloc(0);

/**
 * Envoy's buffer filter: the whole request body is held before any of it goes upstream
 * (an upstream that wants a complete body, a slow client that should not tie up an
 * upstream connection), and a body over maxRequestBytes gets 413 — at once when its
 * Content-Length says so, else when the bytes past the limit arrive. The upstream
 * request then carries the body in one piece. No config compile step: one number.
 */
export function createBufferLimitsFilter(name: string, f: TBufferLimitsFilter): THttpFilter {
  const max = f.maxRequestBytes;
  const tooLarge: TFilterLocalReply = Object.freeze({ status: 413, body: `request body larger than ${max} bytes\n` });
  // Per request: the chunks held so far (the filter object is shared by all requests).
  const held = new WeakMap<TFilterRequest, { chunks: Buffer[]; bytes: number }>();
  return {
    name,
    onRequestHeaders(req) {
      const declared = req.headers.get("content-length");
      if (declared !== undefined && Number(declared) > max) return tooLarge;
    },
    onRequestBody(chunk, end, req) {
      let h = held.get(req);
      if (h === undefined) held.set(req, (h = { chunks: [], bytes: 0 }));
      h.bytes += chunk.length;
      if (h.bytes > max) return tooLarge;
      if (chunk.length) h.chunks.push(chunk);
      if (!end) return EMPTY; // held: nothing goes upstream yet
      held.delete(req);
      return h.chunks.length === 1 ? h.chunks[0] : Buffer.concat(h.chunks);
    },
  };
}
