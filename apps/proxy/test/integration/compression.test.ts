import { execFile } from "node:child_process";
import { createServer, get, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { brotliDecompressSync, createGunzip, gunzipSync, gzipSync, zstdDecompressSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { startInProcessProxy, type TInProcessProxy } from "../helpers/in-process-proxy.ts";

/**
 * compression (issue #14 item 6) with real clients: curl --compressed (gzip, br, zstd
 * builds) and node:http with explicit Accept-Encoding, decoded by Node's zlib. q-values,
 * content types, the minimum size, never compressing twice, Vary, weak ETags, streaming
 * (the first chunk is readable before the upstream ends) and a per-route override.
 */
const run = promisify(execFile);
const JSON_BODY = JSON.stringify({ items: Array.from({ length: 300 }, (_, i) => ({ id: i, name: `item number ${i}` })) });
let upstream: Server;
let proxy: TInProcessProxy;
let base: string;
let release: () => void = () => undefined;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const send = (type: string, body: Buffer | string, extra: Record<string, string> = {}) => {
      res.writeHead(200, { "content-type": type, "content-length": String(Buffer.byteLength(body)), ...extra });
      res.end(body);
    };
    if (req.url?.endsWith("/json")) return send("application/json; charset=utf-8", JSON_BODY, { etag: '"v1"' });
    if (req.url?.endsWith("/small")) return send("text/plain", "tiny");
    if (req.url?.endsWith("/png")) return send("image/png", Buffer.alloc(5000, 7));
    if (req.url?.endsWith("/encoded")) return send("text/plain", gzipSync("already gzipped ".repeat(50)), { "content-encoding": "gzip" });
    if (req.url?.endsWith("/no-transform")) return send("text/plain", "x".repeat(500), { "cache-control": "no-transform" });
    if (req.url?.endsWith("/stream")) {
      // No content-length: chunked. The second event waits until the client read the first.
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("data: one\n\n");
      new Promise<void>((r) => (release = r)).then(() => res.end("data: two\n\n"));
      return;
    }
    send("text/plain", "default");
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const app = { cluster: "app" };
  proxy = await startInProcessProxy({
    listeners: [{ name: "web", address: "127.0.0.1", port, routeConfig: "main", httpFilters: [{ type: "compression", minContentLength: 100 }] }],
    routeConfigs: [
      {
        name: "main",
        virtualHosts: [
          {
            name: "all",
            domains: ["*"],
            routes: [
              { name: "gzip-only", match: { prefix: "/gzip-only" }, route: app, filterOverrides: { compression: { config: { algorithms: ["gzip"] } } } },
              { name: "plain", match: { prefix: "/" }, route: app },
            ],
          },
        ],
      },
    ],
    clusters: [{ name: "app", endpoints: [{ address: "127.0.0.1", port: (upstream.address() as AddressInfo).port }] }],
  });
});

afterAll(async () => {
  await proxy?.stop();
  upstream?.closeAllConnections();
  await new Promise((r) => upstream?.close(r));
});

/** GET with this Accept-Encoding: status, headers and the raw (still encoded) body. */
function fetchRaw(path: string, acceptEncoding?: string, method = "GET"): Promise<{ res: IncomingMessage; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = get(`${base}${path}`, { method, headers: acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ res, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
  });
}

describe("compression", () => {
  it("curl --compressed gets a compressed body it decodes to the original, with Vary and a weak ETag", async () => {
    const { stdout } = await run("curl", ["-sS", "--compressed", "-D", "-", `${base}/json`], { maxBuffer: 1 << 22 });
    const [head, body] = stdout.split("\r\n\r\n", 2) as [string, string];
    expect(head).toMatch(/content-encoding: (zstd|br|gzip)/i);
    expect(head).toMatch(/vary: accept-encoding/i);
    expect(head).toMatch(/etag: W\/"v1"/i);
    expect(head).not.toMatch(/content-length/i);
    expect(body).toBe(JSON_BODY);
  });

  it("the same over h2c (curl --http2-prior-knowledge --compressed)", async () => {
    const { stdout } = await run("curl", ["-sS", "--http2-prior-knowledge", "--compressed", "-D", "-", `${base}/json`], { maxBuffer: 1 << 22 });
    const [head, body] = stdout.split("\r\n\r\n", 2) as [string, string];
    expect(head).toMatch(/^HTTP\/2 200/);
    expect(head).toMatch(/content-encoding: (zstd|br|gzip)/i);
    expect(body).toBe(JSON_BODY);
  });

  it("honours q-values and `*`, ties broken by the configured order (zstd, br, gzip); identity and q=0 mean none", async () => {
    const br = await fetchRaw("/json", "gzip;q=0.5, br;q=0.9");
    expect(br.res.headers["content-encoding"]).toBe("br");
    expect(brotliDecompressSync(br.body).toString()).toBe(JSON_BODY);
    expect(br.body.length).toBeLessThan(JSON_BODY.length / 3);

    const gz = await fetchRaw("/json", "gzip, br;q=0, zstd;q=0");
    expect(gz.res.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.body).toString()).toBe(JSON_BODY);

    const zs = await fetchRaw("/json", "gzip, br, zstd");
    expect(zs.res.headers["content-encoding"]).toBe("zstd");
    expect(zstdDecompressSync(zs.body).toString()).toBe(JSON_BODY);

    const star = await fetchRaw("/json", "*;q=0.2, zstd;q=0");
    expect(star.res.headers["content-encoding"]).toBe("br");

    for (const ae of ["identity", "gzip;q=0", undefined]) {
      const none = await fetchRaw("/json", ae);
      expect(none.res.headers["content-encoding"]).toBeUndefined();
      expect(none.body.toString()).toBe(JSON_BODY);
      expect(none.res.headers.vary).toBe("accept-encoding");
    }
  });

  it("never compresses twice, nor small bodies, other content types, no-transform or HEAD", async () => {
    const enc = await fetchRaw("/encoded", "br, gzip");
    expect(enc.res.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(enc.body).toString()).toBe("already gzipped ".repeat(50));
    for (const path of ["/small", "/png", "/no-transform"]) {
      const r = await fetchRaw(path, "gzip");
      expect(r.res.headers["content-encoding"], path).toBeUndefined();
    }
    const head = await fetchRaw("/json", "gzip", "HEAD");
    expect(head.res.headers["content-encoding"]).toBeUndefined();
  });

  it("streams: the first compressed chunk decodes before the upstream has finished", async () => {
    const text = await new Promise<string>((resolve, reject) => {
      get(`${base}/stream`, { headers: { "accept-encoding": "gzip" } }, (res) => {
        expect(res.headers["content-encoding"]).toBe("gzip");
        let out = "";
        const gunzip = createGunzip();
        res.pipe(gunzip);
        gunzip.on("data", (d: Buffer) => {
          out += d.toString();
          if (out === "data: one\n\n") release(); // only now does the upstream send the rest
        });
        gunzip.on("end", () => resolve(out));
        gunzip.on("error", reject);
      }).on("error", reject);
    });
    expect(text).toBe("data: one\n\ndata: two\n\n");
  });

  it("a route override narrows the algorithms", async () => {
    const r = await fetchRaw("/gzip-only/json", "br, zstd, gzip;q=0.1");
    expect(r.res.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(r.body).toString()).toBe(JSON_BODY);
  });
});
