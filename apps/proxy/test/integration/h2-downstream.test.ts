import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";

/**
 * The HTTP/2 downstream on node:http2's stream API (pipeline/downstream.ts H2Downstream,
 * listener/h2/request.ts): what an h2 client receives for whole and streamed answers,
 * connection-specific fields dropped, repeated fields kept, request bodies streamed, and a
 * client reset seen as DC.
 */
let upstream: http.Server;
let proxy: TProxyProcess;
let client: http2.ClientHttp2Session;
let port: number;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    if (req.url === "/hop") {
      res.writeHead(200, [
        ["Connection", "keep-alive, X-Private"],
        ["Keep-Alive", "timeout=5"],
        ["Set-Cookie", "a=1"],
        ["Set-Cookie", "b=2"],
        ["Content-Type", "text/plain"],
      ] as unknown as http.OutgoingHttpHeaders);
      res.end("hop");
      return;
    }
    if (req.url === "/streamed") {
      // Chunked, in three writes spread over time, then trailers.
      res.writeHead(200, { "content-type": "text/plain", trailer: "x-sum" });
      let n = 0;
      const tick = setInterval(() => {
        res.write(`part${n}.`);
        if (++n === 3) {
          clearInterval(tick);
          res.addTrailers({ "x-sum": "3" });
          res.end();
        }
      }, 30);
      return;
    }
    if (req.url === "/slow") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first");
      // Never ends on its own: the client resets the stream.
      const t = setTimeout(() => res.end("late"), 5_000);
      res.once("close", () => clearTimeout(t));
      return;
    }
    let bytes = 0;
    req.on("data", (c: Buffer) => (bytes += c.length));
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ url: req.url, bytes }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  port = await freePort();
  proxy = await startProxy({
    accessLogFile: true,
    config: {
      listeners: [{ name: "public", address: "127.0.0.1", port, routeConfig: "main" }],
      routeConfigs: [
        {
          name: "main",
          virtualHosts: [
            {
              name: "all",
              domains: ["*"],
              routes: [
                { name: "direct", match: { path: "/direct" }, directResponse: { status: 201, body: "made" } },
                { name: "big", match: { path: "/big" }, directResponse: { status: 200, body: "b".repeat(1_000_000) } },
                { name: "up", match: { prefix: "/" }, route: { cluster: "up" } },
              ],
            },
          ],
        },
      ],
      clusters: [{ name: "up", endpoints: [{ address: "127.0.0.1", port: (upstream.address() as AddressInfo).port }] }],
    },
  });
  client = http2.connect(`http://127.0.0.1:${port}`);
});

afterAll(async () => {
  client?.close();
  await proxy?.stop();
  upstream?.close();
});

type TAnswer = { headers: http2.IncomingHttpHeaders; body: string; trailers: http2.IncomingHttpHeaders | null };

function ask(path: string, opts: { method?: string; body?: Buffer } = {}): Promise<TAnswer> {
  return new Promise((resolve, reject) => {
    const req = client.request({ ":path": path, ":method": opts.method ?? "GET" }, { endStream: opts.body === undefined });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | null = null;
    let body = "";
    req.on("response", (h) => (headers = h));
    req.on("trailers", (t) => (trailers = t));
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => resolve({ headers, body, trailers }));
    req.on("error", reject);
    if (opts.body !== undefined) req.end(opts.body);
  });
}

/** GET `path`, then reset the stream with CANCEL as soon as the first DATA arrives. */
function cancelAfterFirstData(session: http2.ClientHttp2Session, path: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const req = session.request({ ":path": path });
    req.once("data", () => {
      req.close(http2.constants.NGHTTP2_CANCEL);
      resolve();
    });
    req.on("error", () => undefined);
  });
}

describe("HTTP/2 downstream on the stream API", () => {
  it("a direct response arrives whole, with its length and no trailers", async () => {
    const a = await ask("/direct");
    expect(a.headers[":status"]).toBe(201);
    expect(a.headers["content-length"]).toBe("4");
    expect(a.body).toBe("made");
    expect(a.trailers).toBeNull();
  });

  it("connection-specific fields of an HTTP/1.1 upstream are dropped; repeated set-cookie stays two values", async () => {
    const a = await ask("/hop");
    expect(a.headers[":status"]).toBe(200);
    expect(a.body).toBe("hop");
    for (const name of ["connection", "keep-alive", "transfer-encoding", "x-private"]) expect(a.headers[name], name).toBeUndefined();
    expect(a.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
  });

  it("a response streamed over time reaches the client chunk by chunk, its trailers last", async () => {
    const a = await ask("/streamed");
    expect(a.body).toBe("part0.part1.part2.");
    expect(a.trailers?.["x-sum"]).toBe("3");
  });

  it("a request body streams to the upstream", async () => {
    const body = Buffer.alloc(300_000, 7);
    const a = await ask("/upload", { method: "POST", body });
    expect(JSON.parse(a.body)).toEqual({ url: "/upload", bytes: body.length });
  });

  it("a client that resets its stream mid-response is logged as DC; the session serves on", async () => {
    await cancelAfterFirstData(client, "/slow");
    const line = await proxy.waitForAccessLog((l) => l.path === "/slow");
    expect(line.responseFlags).toBe("DC");
    expect((await ask("/direct")).body).toBe("made");
  });

  it("a client that resets a whole answer it has not finished reading is DC too (no upstream work pending: the stream's reset decides)", async () => {
    // A small stream window keeps most of the 1 MB body in the proxy when the client resets.
    const slow = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: 1024 } });
    try {
      await cancelAfterFirstData(slow, "/big");
      const line = await proxy.waitForAccessLog((l) => l.path === "/big");
      expect(line.status).toBe(200);
      expect(line.responseFlags).toBe("DC");
    } finally {
      slow.close();
    }
  });
});
