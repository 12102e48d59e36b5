import type { TFilterRequest, THttpFilter } from "../api.ts";
import { Base64Decoder, Base64Encoder } from "./base64.ts";

/** Per request: the client's content type and, in text mode, the base64 coders. */
type TState = {
  readonly contentType: string;
  readonly decoder: Base64Decoder | null;
  readonly encoder: Base64Encoder | null;
  trailers: string;
};

/**
 * gRPC-Web (Envoy's grpc_web filter): a browser or other gRPC-Web client speaks
 * application/grpc-web[+proto] (binary frames) or application/grpc-web-text[+proto]
 * (the same frames in base64) over HTTP/1.1 or h2; the upstream speaks gRPC over h2
 * (the route's cluster must be `protocol: http2`). Request: the content type becomes
 * application/grpc[+proto] and a text body is decoded. Response: the content type goes
 * back to the client's; the upstream's HTTP/2 trailers (grpc-status, grpc-message, custom
 * metadata) become the body's last frame (flag 0x80, "name:value\r\n" lines), since
 * browsers cannot read trailers; a text answer is base64-encoded. A trailers-only answer
 * keeps grpc-status in the response head, which gRPC-Web clients read too. Other
 * requests pass untouched.
 */
export function createGrpcWebFilter(name: string): THttpFilter {
  const states = new WeakMap<TFilterRequest, TState>();
  return {
    name,
    onRequestHeaders(req) {
      const ct = req.headers.get("content-type") ?? "";
      const m = /^application\/grpc-web(-text)?(\+[a-z0-9.-]+)?\s*(;.*)?$/i.exec(ct);
      if (!m) return;
      const text = m[1] !== undefined;
      states.set(req, { contentType: ct, decoder: text ? new Base64Decoder() : null, encoder: text ? new Base64Encoder() : null, trailers: "" });
      req.headers.set("content-type", `application/grpc${m[2] ?? ""}`);
      req.headers.set("te", "trailers");
      req.headers.remove("content-length");
    },
    onRequestBody(chunk, end, req) {
      const s = states.get(req);
      if (s?.decoder) return s.decoder.push(chunk, end);
    },
    onResponseHeaders(res, req) {
      const s = states.get(req);
      if (!s) return;
      const ct = res.headers.get("content-type");
      if (ct === undefined || ct.toLowerCase().startsWith("application/grpc")) res.headers.set("content-type", s.contentType);
    },
    onResponseTrailers(trailers, _res, req) {
      const s = states.get(req);
      if (!s) return;
      for (const [n, v] of [...trailers.entries()]) {
        s.trailers += `${n}:${v}\r\n`;
        trailers.remove(n);
      }
    },
    onResponseBody(chunk, end, _res, req) {
      const s = states.get(req);
      if (!s) return;
      let out = chunk;
      if (end && s.trailers) {
        const payload = Buffer.from(s.trailers, "latin1");
        const head = Buffer.alloc(5);
        head[0] = 0x80; // trailer frame (gRPC-Web protocol)
        head.writeUInt32BE(payload.length, 1);
        out = Buffer.concat([chunk, head, payload]);
      }
      return s.encoder ? s.encoder.push(out, end) : out;
    },
  };
}
