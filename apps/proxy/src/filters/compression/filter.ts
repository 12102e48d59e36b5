import type { TCompressionAlgorithm } from "@switchyard/config-model";
import { constants, createBrotliCompress, createGzip, createZstdCompress, type Gzip } from "node:zlib";
import type { TFilterRequest, TFilterResponse, THttpFilter } from "../api.ts";
import { chooseEncoding, type TCompressionConfig } from "./config.ts";

type TCompressor = Gzip;

/**
 * Compressors tuned for a proxy on the response path (Envoy's defaults are alike):
 * gzip level 6 (zlib's default), brotli quality 4 (11, Node's default, costs ~50x the
 * CPU for a few percent), zstd level 3 (zstd's default).
 */
const CREATE: Record<TCompressionAlgorithm, () => TCompressor> = {
  gzip: () => createGzip({ level: 6 }),
  br: () => createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }) as unknown as TCompressor,
  zstd: () => createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: 3 } }) as unknown as TCompressor,
};

/** Statuses that carry no body to compress (RFC 9110 §6.4.1) or a partial one. */
const NO_BODY = new Set([204, 206, 304]);

/**
 * Response compression (Envoy's compressor). The coding is chosen from the request's
 * Accept-Encoding (q-values, `*`, ties by the configured order); the response is
 * compressed when all hold: a status with a body, not HEAD, no Content-Encoding from the
 * upstream (never twice), a listed content type, no `Cache-Control: no-transform`, and a
 * Content-Length (when given) of at least minContentLength. It streams: each chunk is
 * compressed and flushed as it arrives (server-sent events keep flowing). Vary:
 * Accept-Encoding is added whenever the answer depended on it; a strong ETag becomes weak.
 */
export function createCompressionFilter(name: string, cfg: TCompressionConfig): THttpFilter {
  // Per request: the chosen coding (request phase), then the running compressor.
  const chosen = new WeakMap<TFilterRequest, TCompressionAlgorithm>();
  const running = new WeakMap<TFilterRequest, TCompressor>();
  return {
    name,
    onRequestHeaders(req) {
      if (req.method === "HEAD") return;
      const coding = chooseEncoding(req.headers.get("accept-encoding"), cfg.algorithms);
      if (coding !== null) chosen.set(req, coding);
    },
    onResponseHeaders(res, req) {
      const h = res.headers;
      if (!compressible(res, cfg)) return;
      // The answer depends on Accept-Encoding from here on, compressed or not.
      if (!/(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(h.get("vary") ?? "")) h.add("vary", "accept-encoding");
      const coding = chosen.get(req);
      if (coding === undefined) return;
      const length = h.get("content-length");
      if (length !== undefined && Number(length) < cfg.minContentLength) return;
      h.set("content-encoding", coding);
      h.remove("content-length");
      const etag = h.get("etag");
      if (etag !== undefined && etag.startsWith('"')) h.set("etag", `W/${etag}`);
      running.set(req, CREATE[coding]());
    },
    onResponseBody(chunk, end, _res, req) {
      const z = running.get(req);
      if (z === undefined) return;
      if (end) running.delete(req);
      return compressChunk(z, chunk, end);
    },
    onDone(_info, req) {
      // A response cut short (client gone, upstream reset) leaves its compressor open: free it.
      running.get(req)?.destroy();
      running.delete(req);
    },
  };
}

function compressible(res: TFilterResponse, cfg: TCompressionConfig): boolean {
  if (res.status < 200 || NO_BODY.has(res.status)) return false;
  const h = res.headers;
  if (h.has("content-encoding")) return false;
  if (/(^|,)\s*no-transform\s*(,|$)/i.test(h.get("cache-control") ?? "")) return false;
  const type = (h.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  return cfg.contentTypes.has(type);
}

/** Compresses one chunk and flushes (or ends) the stream: the bytes the client can decode so far. */
function compressChunk(z: TCompressor, chunk: Buffer, end: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const onData = (d: Buffer) => void out.push(d);
    const done = () => {
      z.off("data", onData);
      z.off("error", reject);
      resolve(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
    };
    z.on("data", onData);
    z.once("error", reject);
    if (end) {
      z.once("end", done);
      z.end(chunk);
    } else {
      z.write(chunk);
      z.flush(done);
    }
  });
}
