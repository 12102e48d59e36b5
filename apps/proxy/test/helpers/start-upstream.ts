import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A real node:http upstream on 127.0.0.1:<port 0> that misbehaves on request:
 *   x-upstream-status: N        answer with status N (default 200)
 *   x-upstream-delay-ms: N      wait N ms before the response head
 *   x-upstream-reset: 1         destroy the socket instead of answering (-> UC)
 *   x-upstream-echo-body: 1     stream the request body back as the response body
 *   x-upstream-body-bytes: N    stream N bytes of 'x' back in 64 KiB chunks
 * Otherwise it answers JSON: { upstream, method, url, headers, bodyBytes, bodySha256, body }.
 */

export type TEcho = {
  upstream: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
  bodySha256: string;
  /** The body as text when it is at most 64 KiB, else null. */
  body: string | null;
};

export type TUpstream = {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly server: Server;
  /** Requests seen (method + url), in arrival order. */
  readonly seen: { method: string; url: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
};

export async function startUpstream(name = "upstream"): Promise<TUpstream> {
  const seen: TUpstream["seen"] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    const h = req.headers;
    const delay = Number(h["x-upstream-delay-ms"] ?? 0);
    const status = Number(h["x-upstream-status"] ?? 200);

    if (h["x-upstream-reset"] === "1") {
      req.socket.destroy();
      return;
    }
    if (h["x-upstream-echo-body"] === "1") {
      res.writeHead(status, { "content-type": "application/octet-stream", "x-upstream": name });
      req.pipe(res);
      return;
    }
    const hash = createHash("sha256");
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on("data", (c: Buffer) => {
      bytes += c.length;
      hash.update(c);
      if (bytes <= 65_536) chunks.push(c);
    });
    req.on("end", () => {
      setTimeout(() => {
        if (res.destroyed) return;
        const streamBytes = h["x-upstream-body-bytes"];
        if (streamBytes !== undefined) {
          res.writeHead(status, { "content-type": "application/octet-stream", "x-upstream": name });
          writeBytes(res, Number(streamBytes));
          return;
        }
        const echo: TEcho = {
          upstream: name,
          method: req.method ?? "",
          url: req.url ?? "",
          headers: req.headers,
          bodyBytes: bytes,
          bodySha256: hash.digest("hex"),
          body: bytes <= 65_536 ? Buffer.concat(chunks).toString("utf8") : null,
        };
        const text = JSON.stringify(echo);
        res.writeHead(status, {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(text),
          "x-upstream": name,
          // Hop-by-hop headers the proxy must strip on the way back.
          connection: "keep-alive, x-hop",
          "x-hop": "must-not-pass",
        });
        res.end(text);
      }, delay);
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    server,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Writes `total` bytes honouring back pressure. */
function writeBytes(res: ServerResponse, total: number): void {
  const chunk = Buffer.alloc(65_536, "x");
  let left = total;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
}
