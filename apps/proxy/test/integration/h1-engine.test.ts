/**
 * The HTTP/1.1 downstream engine (listener/h1) on the wire, with raw sockets: pipelining
 * order, 100-continue, chunked bodies and trailers both ways, HTTP/1.0, back pressure
 * from a client that does not read, the head and a small body in one write, HEAD, and
 * the idle timeout. The proxy runs in-process against a node:http origin.
 */
import { createServer, type Server } from "node:http";
import { connect, Socket, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { startInProcessProxy, type TInProcessProxy } from "../helpers/in-process-proxy.ts";

const IDLE_TIMEOUT_MS = 700;
const BIG_BYTES = 256 * 1024 * 1024;
const SMALL_BODY = "s".repeat(100);

let origin: Server;
let proxy: TInProcessProxy;
let port: number;
/** Bytes the origin has handed to its socket for /big (it honours its own back pressure). */
let bigWritten = 0;
const seen: { url: string; at: number; headers: Record<string, unknown>; trailers: Record<string, string>; body: string }[] = [];

beforeAll(async () => {
  origin = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = req.url ?? "/";
      seen.push({ url, at: Date.now(), headers: req.headers, trailers: req.trailers as Record<string, string>, body: Buffer.concat(chunks).toString() });
      if (url === "/slow") return void setTimeout(() => res.end("slow"), 300);
      if (url === "/small") return void res.writeHead(200, { "content-length": SMALL_BODY.length }).end(SMALL_BODY);
      if (url === "/echo") return void res.end(`echo:${Buffer.concat(chunks).toString()}`);
      if (url === "/trailers") {
        res.writeHead(200, { trailer: "x-sum" });
        res.write("abc");
        res.addTrailers({ "x-sum": "42" });
        return void res.end();
      }
      if (url === "/stream") {
        res.write("part1-");
        return void setTimeout(() => res.end("part2"), 20);
      }
      if (url === "/big") {
        const block = Buffer.alloc(65_536, 120);
        bigWritten = 0;
        const pump = () => {
          while (bigWritten < BIG_BYTES) {
            bigWritten += block.length;
            if (!res.write(block)) return void res.once("drain", pump);
          }
          res.end();
        };
        res.writeHead(200, { "content-length": BIG_BYTES });
        return pump();
      }
      res.end(url);
    });
  });
  await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
  const originPort = (origin.address() as AddressInfo).port;
  port = await freePort();
  proxy = await startInProcessProxy({
    listeners: [{ name: "h1", address: "127.0.0.1", port, routeConfig: "main", limits: { idleTimeoutMs: IDLE_TIMEOUT_MS, maxRequestBodyBytes: 1_000 } }],
    routeConfigs: [
      {
        name: "main",
        virtualHosts: [
          {
            name: "all",
            domains: ["*"],
            routes: [
              { name: "direct", match: { prefix: "/direct" }, directResponse: { status: 200, body: "d".repeat(100) } },
              { name: "origin", match: { prefix: "/" }, route: { cluster: "origin" } },
            ],
          },
        ],
      },
    ],
    clusters: [{ name: "origin", endpoints: [{ address: "127.0.0.1", port: originPort }] }],
  });
});

afterAll(async () => {
  await proxy?.stop();
  origin?.closeAllConnections();
  await new Promise((r) => origin?.close(r));
});

/** A raw client: every 'data' chunk kept, with helpers to wait for text or the close. */
type TRaw = { socket: Socket; chunks: Buffer[]; text(): string; waitFor(pred: (text: string) => boolean, ms?: number): Promise<string>; closed: Promise<void> };

function raw(): Promise<TRaw> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    const waiters: (() => void)[] = [];
    const text = () => Buffer.concat(chunks).toString("latin1");
    socket.on("data", (c: Buffer) => {
      chunks.push(c);
      for (const w of waiters.splice(0)) w();
    });
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.once("close", () => {
      for (const w of waiters.splice(0)) w();
    });
    socket.once("error", () => undefined);
    const waitFor = (pred: (t: string) => boolean, ms = 5_000) =>
      new Promise<string>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`timed out; got: ${JSON.stringify(text().slice(0, 500))}`)), ms);
        const check = () => {
          if (pred(text())) {
            clearTimeout(timer);
            return res(text());
          }
          if (socket.destroyed) {
            clearTimeout(timer);
            return rej(new Error(`closed; got: ${JSON.stringify(text().slice(0, 500))}`));
          }
          waiters.push(check);
        };
        check();
      });
    socket.once("connect", () => resolve({ socket, chunks, text, waitFor, closed }));
    socket.once("error", reject);
  });
}

const count = (text: string, what: string) => text.split(what).length - 1;

describe("HTTP/1.1 engine on the wire", () => {
  it("answers pipelined requests in order even when the first upstream answer is slow", async () => {
    const c = await raw();
    c.socket.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\nGET /third HTTP/1.1\r\nHost: x\r\n\r\n");
    const text = await c.waitFor((t) => t.includes("/third"));
    expect(count(text, "HTTP/1.1 200 OK")).toBe(3);
    expect(text.indexOf("slow")).toBeLessThan(text.indexOf("/fast"));
    expect(text.indexOf("/fast")).toBeLessThan(text.indexOf("/third"));
    // One at a time: the second request reached the origin only after the first was answered.
    const slow = seen.find((s) => s.url === "/slow");
    const fast = seen.find((s) => s.url === "/fast");
    expect((fast?.at ?? 0) - (slow?.at ?? 0)).toBeGreaterThanOrEqual(250);
    c.socket.destroy();
  });

  it("a long pipeline (more than the read-ahead) is answered completely and in order", async () => {
    const n = 3_000;
    const c = await raw();
    let burst = "";
    for (let i = 0; i < n; i++) burst += `GET /p${i} HTTP/1.1\r\nHost: x\r\n\r\n`;
    expect(burst.length).toBeGreaterThan(65_536);
    c.socket.write(burst);
    const text = await c.waitFor((t) => t.endsWith(`/p${n - 1}`), 20_000);
    const bodies = text.split("HTTP/1.1 200 OK").slice(1).map((r) => r.slice(r.indexOf("\r\n\r\n") + 4));
    expect(bodies).toEqual(Array.from({ length: n }, (_, i) => `/p${i}`));
    c.socket.destroy();
  });

  it("sends 100 Continue when the body is first read, then forwards the body", async () => {
    const c = await raw();
    c.socket.write("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    await c.waitFor((t) => t.startsWith("HTTP/1.1 100 Continue\r\n\r\n"));
    c.socket.write("hello");
    const text = await c.waitFor((t) => t.includes("echo:hello"));
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    // The expectation is the proxy's to answer: the origin never saw it.
    expect(seen.findLast((q) => q.url === "/echo")?.headers.expect).toBeUndefined();
    c.socket.destroy();
  });

  it("refuses a declared body over the limit without asking for it (no 100 Continue)", async () => {
    const c = await raw();
    c.socket.write("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
    const text = await c.waitFor((t) => t.includes("\r\n\r\n") && t.includes("larger than"));
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text).not.toContain("100 Continue");
    expect(text.toLowerCase()).toContain("connection: close");
    await c.closed;
  });

  it("reads a chunked request body with trailers and forwards the body", async () => {
    const c = await raw();
    c.socket.write("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n");
    const text = await c.waitFor((t) => t.includes("echo:hello world"));
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(seen.at(-1)?.body).toBe("hello world");
    // The connection is reusable after a chunked body with trailers.
    c.socket.write("GET /after-trailers HTTP/1.1\r\nHost: x\r\n\r\n");
    await c.waitFor((t) => t.includes("/after-trailers"));
    c.socket.destroy();
  });

  it("forwards an upstream's response trailers in the last chunk", async () => {
    const c = await raw();
    c.socket.write("GET /trailers HTTP/1.1\r\nHost: x\r\n\r\n");
    const text = await c.waitFor((t) => t.endsWith("\r\n\r\n") && t.includes("0\r\n"));
    expect(text.toLowerCase()).toContain("transfer-encoding: chunked");
    expect(text).toContain("3\r\nabc\r\n");
    expect(text).toMatch(/0\r\nx-sum: 42\r\n\r\n$/);
    c.socket.destroy();
  });

  it("HTTP/1.0: keep-alive when asked for, close otherwise, and no chunked encoding", async () => {
    const ka = await raw();
    ka.socket.write("GET /one HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    await ka.waitFor((t) => t.includes("/one"));
    expect(ka.text().toLowerCase()).toContain("connection: keep-alive");
    ka.socket.write("GET /two HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    await ka.waitFor((t) => t.includes("/two"));
    expect(ka.socket.destroyed).toBe(false);
    ka.socket.destroy();

    const plain = await raw();
    plain.socket.write("GET /stream HTTP/1.0\r\n\r\n");
    await plain.closed;
    const text = plain.text();
    expect(text.toLowerCase()).toContain("connection: close");
    expect(text.toLowerCase()).not.toContain("transfer-encoding");
    // Close-delimited: the body is the raw bytes up to the close.
    expect(text.endsWith("\r\n\r\npart1-part2")).toBe(true);
  });

  it("HEAD gets the head without a body, and the connection stays usable", async () => {
    const c = await raw();
    c.socket.write("HEAD /small HTTP/1.1\r\nHost: x\r\n\r\nGET /after-head HTTP/1.1\r\nHost: x\r\n\r\n");
    const text = await c.waitFor((t) => t.includes("/after-head"));
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).not.toContain(SMALL_BODY);
    expect(count(text, "HTTP/1.1 200 OK")).toBe(2);
    c.socket.destroy();
  });

  it("sends the response head and a small body in one write", async () => {
    // Counts the writes the proxy's side of the connection hands to libuv (_write, or one
    // _writev for corked pieces: one syscall either way).
    const proto = Socket.prototype as unknown as Record<"_write" | "_writev", (this: Socket, ...args: unknown[]) => void>;
    const original = { write: proto._write, writev: proto._writev };
    const writes = new Map<string, number>();
    const counted =
      (fn: (this: Socket, ...args: unknown[]) => void) =>
      function (this: Socket, ...args: unknown[]) {
        if (this.localPort === port) writes.set(String(this.remotePort), (writes.get(String(this.remotePort)) ?? 0) + 1);
        return fn.apply(this, args);
      };
    proto._write = counted(original.write);
    proto._writev = counted(original.writev);
    try {
      for (const path of ["/direct", "/small"]) {
        const c = await raw();
        c.socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
        await c.waitFor((t) => t.endsWith("d".repeat(100)) || t.endsWith(SMALL_BODY));
        await new Promise((r) => setTimeout(r, 50));
        expect(writes.get(String(c.socket.localPort)), path).toBe(1);
        expect(c.chunks.length, path).toBe(1);
        c.socket.destroy();
      }
    } finally {
      proto._write = original.write;
      proto._writev = original.writev;
    }
  });

  it("a client that does not read holds the upstream back (back pressure, no buffering of the whole response)", async () => {
    const c = await raw();
    c.socket.pause();
    c.socket.write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
    await new Promise((r) => setTimeout(r, 1_500));
    const whilePaused = bigWritten;
    await new Promise((r) => setTimeout(r, 500));
    // Stalled: nothing more is pulled from the origin while the client reads nothing...
    expect(bigWritten).toBe(whilePaused);
    // ...and what was pulled is socket buffers' worth, far from the whole 256 MiB body.
    expect(whilePaused).toBeLessThan(64 * 1024 * 1024);
    c.socket.destroy();
  });

  it("closes a keep-alive connection after the idle timeout", async () => {
    const c = await raw();
    c.socket.write("GET /idle HTTP/1.1\r\nHost: x\r\n\r\n");
    await c.waitFor((t) => t.includes("/idle"));
    const t0 = Date.now();
    await c.closed;
    const idle = Date.now() - t0;
    expect(idle).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 100);
    expect(idle).toBeLessThan(IDLE_TIMEOUT_MS + 1_000);
  });

  it("a request whose first bytes look like the h2 preface (\"P\", then \"OST\") stays HTTP/1.1", async () => {
    const c = await raw();
    c.socket.write("P");
    await new Promise((r) => setTimeout(r, 50));
    c.socket.write("OST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
    const text = await c.waitFor((t) => t.includes("echo:hi"));
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    c.socket.destroy();
  });

  it("an expectation other than 100-continue gets 417 and the connection closes", async () => {
    const before = seen.length;
    const c = await raw();
    c.socket.write("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: teapot\r\n\r\nhi");
    await c.closed;
    expect(c.text()).toMatch(/^HTTP\/1\.1 417 Expectation Failed\r\n/);
    expect(seen.length).toBe(before);
  });

  it("a non-websocket Upgrade (h2c) is served as a plain request without the upgrade fields, then the connection closes", async () => {
    const c = await raw();
    c.socket.write("GET /plain-upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
    await c.closed;
    expect(c.text()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(c.text().toLowerCase()).toContain("connection: close");
    expect(c.text().endsWith("/plain-upgrade")).toBe(true);
    const upstream = seen.find((q) => q.url === "/plain-upgrade");
    expect(upstream?.headers.upgrade).toBeUndefined();
    expect(upstream?.headers["http2-settings"]).toBeUndefined();
  });

  it("a malformed head gets 400 with connection: close and reaches nothing upstream", async () => {
    const before = seen.length;
    const c = await raw();
    c.socket.write("GET /x HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n");
    await c.closed;
    expect(c.text()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(c.text().toLowerCase()).toContain("connection: close");
    expect(seen.length).toBe(before);
  });

  // Last: it removes the listener.
  it("a removed listener closes idle connections at once and busy ones after their answer (connection: close)", async () => {
    const idle = await raw();
    idle.socket.write("GET /before HTTP/1.1\r\nHost: x\r\n\r\n");
    await idle.waitFor((t) => t.includes("/before"));
    const busy = await raw();
    busy.socket.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    await new Promise((r) => setTimeout(r, 100));
    const applied = await proxy.apply({
      listeners: [],
      routeConfigs: [],
      clusters: [],
    });
    expect(applied.ok).toBe(true);
    await idle.closed;
    expect(busy.socket.destroyed).toBe(false);
    await busy.closed;
    const text = busy.text();
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text.toLowerCase()).toContain("connection: close");
    expect(text.endsWith("slow")).toBe(true);
  });
});
