/**
 * Hostile HTTP against a real proxy process: request smuggling attempts, malformed heads,
 * oversize heads and bodies, slow clients, HTTP/2 floods and WebSocket floods. For each:
 * a clean error (or a closed connection), the proxy stays up, another client is served
 * meanwhile, and the recording upstream shows that nothing ambiguous reached it.
 */
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { freePort } from "../../apps/proxy/test/helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../../apps/proxy/test/helpers/start-proxy.ts";
import { rawExchange, startRecordingUpstream, statuses, type TRecordingUpstream } from "./helpers/raw.ts";

let upstream: TRecordingUpstream;
let wss: WebSocketServer;
let wsMessages = 0;
let proxy: TProxyProcess;
let port: number;

const MAX_BODY = 1000;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  wss.on("connection", (ws) => {
    ws.on("message", () => void wsMessages++);
    ws.on("error", () => undefined); // the garbage-frame case makes ws close the socket with 1002
  });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  const wsPort = (wss.address() as { port: number }).port;
  port = await freePort();
  proxy = await startProxy({
    config: {
      listeners: [
        {
          name: "edge",
          address: "127.0.0.1",
          port,
          routeConfig: "main",
          limits: { maxHeaderBytes: 8192, maxHeadersCount: 50, headersTimeoutMs: 1500, requestTimeoutMs: 3000, maxRequestBodyBytes: MAX_BODY },
        },
      ],
      routeConfigs: [
        {
          name: "main",
          virtualHosts: [
            {
              name: "all",
              domains: ["*"],
              routes: [
                { name: "ws", match: { prefix: "/ws" }, route: { cluster: "ws", allowUpgrade: true } },
                { name: "retry", match: { prefix: "/retry" }, route: { cluster: "rec", retryPolicy: { retryOn: ["5xx"], numRetries: 1 } } },
                { name: "all", match: { prefix: "/" }, route: { cluster: "rec" } },
              ],
            },
          ],
        },
      ],
      clusters: [
        { name: "rec", endpoints: [{ address: "127.0.0.1", port: upstream.port }] },
        { name: "ws", endpoints: [{ address: "127.0.0.1", port: wsPort }] },
      ],
    },
  });
});

afterAll(async () => {
  await proxy?.stop();
  await upstream?.close();
  await new Promise<void>((r) => (wss ? wss.close(() => r()) : r()));
});

/** Another, well-behaved client: must be served while (and after) the hostile one misbehaves. */
async function bystander(): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/bystander`, { signal: AbortSignal.timeout(3_000) });
  const text = await res.text();
  if (res.status !== 200) console.log("bystander got", res.status, res.headers.get("x-switchyard-response-flags"), text);
  return res.status;
}

/** No request the upstream saw carries a smuggled path, and every one it saw was complete. */
function expectNothingSmuggled(): void {
  for (const r of upstream.requests) {
    expect(r.url).not.toContain("smuggled");
    expect(r.body).not.toContain("smuggled");
  }
  expect(upstream.raw()).not.toContain("/smuggled");
}

const head = (lines: string[]) => lines.join("\r\n") + "\r\n\r\n";

describe("request smuggling and malformed heads get 400; nothing ambiguous goes upstream", () => {
  const cases: [string, string][] = [
    ["CL + TE", head(["POST /a HTTP/1.1", "Host: x", "Content-Length: 4", "Transfer-Encoding: chunked"]) + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["TE + CL (reversed)", head(["POST /a HTTP/1.1", "Host: x", "Transfer-Encoding: chunked", "Content-Length: 60"]) + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["TE obfuscated: xchunked", head(["POST /a HTTP/1.1", "Host: x", "Transfer-Encoding: xchunked", "Content-Length: 3"]) + "abcGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["TE obfuscated: chunked, identity", head(["POST /a HTTP/1.1", "Host: x", "Transfer-Encoding: chunked, identity"]) + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["TE obfuscated: space before colon", head(["POST /a HTTP/1.1", "Host: x", "Transfer-Encoding : chunked", "Content-Length: 3"]) + "0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n"],
    ["TE obfuscated: vertical tab", head(["POST /a HTTP/1.1", "Host: x", "Transfer-Encoding:\x0bchunked", "Content-Length: 3"]) + "0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n"],
    ["duplicate Content-Length (different)", head(["POST /a HTTP/1.1", "Host: x", "Content-Length: 3", "Content-Length: 40"]) + "abcGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["Content-Length list", head(["POST /a HTTP/1.1", "Host: x", "Content-Length: 3, 40"]) + "abcGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["Content-Length with sign", head(["POST /a HTTP/1.1", "Host: x", "Content-Length: +3"]) + "abcGET /smuggled HTTP/1.1\r\n\r\n"],
    ["bare LF line endings", "GET /a HTTP/1.1\nHost: x\nX-Smuggle: GET /smuggled\n\n"],
    ["bare LF inside a header", "GET /a HTTP/1.1\r\nHost: x\r\nX-A: 1\nGET /smuggled HTTP/1.1\r\n\r\n"],
    ["obs-fold", head(["GET /a HTTP/1.1", "Host: x", "X-Folded: a", " GET /smuggled"])],
    ["chunk size overflow", head(["POST /a HTTP/1.1", "Host: x", "Transfer-Encoding: chunked"]) + "FFFFFFFFFFFFFFFFF1\r\nGET /smuggled\r\n0\r\n\r\n"],
    ["invalid method", head(["G@T /a HTTP/1.1", "Host: x"])],
    ["method with NUL", head(["G\x00ET /a HTTP/1.1", "Host: x"])],
    ["target with a space", head(["GET /a /smuggled HTTP/1.1", "Host: x"])],
    ["target with a control byte", head(["GET /a\x7f HTTP/1.1", "Host: x"])],
    ["target without a slash", head(["GET smuggled HTTP/1.1", "Host: x"])],
    ["HTTP/1.1 without Host", head(["GET /smuggled HTTP/1.1"])],
    ["unknown HTTP version", head(["GET /smuggled HTTP/7.1", "Host: x"])],
    ["NUL in a header value", head(["GET /a HTTP/1.1", "Host: x", "X-A: a\x00b"])],
    ["header name with a space", head(["GET /a HTTP/1.1", "Host: x", "X A: b"])],
  ];
  for (const [name, payload] of cases) {
    it(name, async () => {
      const before = upstream.requests.length;
      const r = await rawExchange(port, payload, { timeoutMs: 2_000 });
      // A clean 400 and a closed connection; never a forwarded request.
      expect(statuses(r.text), r.text.slice(0, 200)).toEqual([400]);
      expect(r.closed).toBe(true);
      expect(upstream.requests.length).toBe(before);
      expectNothingSmuggled();
      expect(await bystander()).toBe(200);
    });
  }

  it("a well-formed pipelined pair is forwarded as exactly two requests (the baseline the cases above are measured against)", async () => {
    const before = upstream.requests.length;
    const r = await rawExchange(port, head(["GET /p1 HTTP/1.1", "Host: x"]) + head(["GET /p2 HTTP/1.1", "Host: x", "Connection: close"]), { timeoutMs: 3_000 });
    expect(statuses(r.text)).toEqual([200, 200]);
    expect(upstream.requests.slice(before).map((q) => q.url)).toEqual(["/p1", "/p2"]);
  });
});

describe("oversize and too many headers: 431", () => {
  it("one header over maxHeaderBytes", async () => {
    const before = upstream.requests.length;
    const r = await rawExchange(port, head(["GET /big HTTP/1.1", "Host: x", `X-Big: ${"a".repeat(9000)}`]));
    expect(statuses(r.text)).toEqual([431]);
    expect(upstream.requests.length).toBe(before);
  });

  it("more fields than maxHeadersCount (Node would silently drop those past 2000)", async () => {
    const before = upstream.requests.length;
    const lines = ["GET /many HTTP/1.1", "Host: x"];
    for (let i = 0; i < 60; i++) lines.push(`X-H${i}: ${i}`);
    const r = await rawExchange(port, head(lines));
    expect(statuses(r.text)).toEqual([431]);
    expect(r.closed).toBe(true);
    expect(upstream.requests.length).toBe(before);
    expect(await bystander()).toBe(200);
  });

  it("just under the count is forwarded with every field", async () => {
    const lines = ["GET /fifty HTTP/1.1", "Host: x", "Connection: close"];
    for (let i = 0; i < 47; i++) lines.push(`X-H${i}: ${i}`);
    const r = await rawExchange(port, head(lines));
    expect(statuses(r.text)).toEqual([200]);
    const seen = upstream.requests.find((q) => q.url === "/fifty");
    expect(seen?.headers["x-h46"]).toBe("46");
  });
});

describe("request bodies over limits.maxRequestBodyBytes: 413", () => {
  it("by Content-Length, before anything goes upstream", async () => {
    const before = upstream.requests.length;
    const r = await rawExchange(port, head(["POST /upload HTTP/1.1", "Host: x", `Content-Length: ${MAX_BODY + 1}`]) + "a".repeat(MAX_BODY + 1));
    expect(statuses(r.text)).toEqual([413]);
    expect(r.text.toLowerCase()).toContain("connection: close");
    expect(r.closed).toBe(true);
    expect(upstream.requests.length).toBe(before);
  });

  it("chunked, as the bytes arrive: the upstream never gets a complete request", async () => {
    const before = upstream.requests.length;
    const chunk = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`;
    const r = await rawExchange(
      port,
      [head(["POST /chunked HTTP/1.1", "Host: x", "Transfer-Encoding: chunked"]), chunk("a".repeat(600)), chunk("b".repeat(600)), chunk("c".repeat(600)) + "0\r\n\r\n"],
      { gapMs: 50, timeoutMs: 3_000 },
    );
    expect(statuses(r.text)).toEqual([413]);
    await new Promise((res) => setTimeout(res, 200));
    const seen = upstream.requests.slice(before);
    expect(seen.every((q) => !q.complete)).toBe(true);
    expect(await bystander()).toBe(200);
  });

  it("chunked on a retrying route (buffered for replay): 413, nothing forwarded", async () => {
    const before = upstream.requests.length;
    const chunk = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`;
    const r = await rawExchange(port, [head(["POST /retry HTTP/1.1", "Host: x", "Transfer-Encoding: chunked"]), chunk("a".repeat(700)), chunk("b".repeat(700)) + "0\r\n\r\n"], { gapMs: 50 });
    expect(statuses(r.text)).toEqual([413]);
    await new Promise((res) => setTimeout(res, 200));
    expect(upstream.requests.slice(before).filter((q) => q.complete)).toEqual([]);
  });

  it("a body at the limit passes unchanged", async () => {
    const body = "z".repeat(MAX_BODY);
    const res = await fetch(`http://127.0.0.1:${port}/exact`, { method: "POST", body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ url: "/exact", bytes: MAX_BODY });
    const chunked = await fetch(`http://127.0.0.1:${port}/exact-chunked`, {
      method: "POST",
      body: new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(body)), c.close()) }),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(200);
    expect(await chunked.json()).toEqual({ url: "/exact-chunked", bytes: MAX_BODY });
  });

  it("HTTP/2 bodies are held to the same limit", async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const s = session.request({ ":method": "POST", ":path": "/h2-upload" });
        s.on("response", (h) => resolve(Number(h[":status"])));
        s.on("error", reject);
        s.write("a".repeat(800));
        setTimeout(() => s.end("b".repeat(800)), 50);
      });
      expect(status).toBe(413);
    } finally {
      session.destroy();
    }
  });
});

describe("slow clients are cut off by the header and request timeouts", () => {
  it("slowloris: a head trickled byte by byte gets 408 and the connection closes", async () => {
    const bytes = head(["GET /slow HTTP/1.1", "Host: x", `X-Pad: ${"p".repeat(200)}`]).split("");
    const slow = rawExchange(port, bytes, { gapMs: 40, timeoutMs: 6_000 });
    // Meanwhile other clients are served.
    expect(await bystander()).toBe(200);
    const r = await slow;
    expect(r.closed).toBe(true);
    expect(r.ms).toBeLessThan(5_000);
    expect(statuses(r.text)).toEqual([408]);
    expect(upstream.requests.find((q) => q.url === "/slow")).toBeUndefined();
  });

  it("slow POST: a body trickled past requestTimeoutMs is cut off and never completes upstream", async () => {
    const parts: string[] = [head(["POST /slowpost HTTP/1.1", "Host: x", "Content-Length: 500"])];
    for (let i = 0; i < 500; i++) parts.push("x");
    const r = await rawExchange(port, parts, { gapMs: 20, timeoutMs: 8_000 });
    expect(r.closed).toBe(true);
    expect(r.ms).toBeLessThan(6_000);
    const seen = upstream.requests.filter((q) => q.url === "/slowpost");
    expect(seen.every((q) => !q.complete)).toBe(true);
    expect(await bystander()).toBe(200);
  });
});

describe("HTTP/2 floods", () => {
  it("rapid reset: thousands of streams opened and cancelled at once; the proxy stays up and serves others", async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => undefined);
    await new Promise<void>((r, j) => (session.once("connect", () => r()), session.once("error", j)));
    const before = upstream.requests.length;
    let opened = 0;
    for (let i = 0; i < 2_000 && !session.destroyed && !session.closed; i++) {
      try {
        const s = session.request({ ":path": `/rapid/${i}` });
        s.on("error", () => undefined);
        s.close(http2.constants.NGHTTP2_CANCEL);
        opened++;
      } catch {
        break; // the server sent GOAWAY: the session refuses new streams
      }
    }
    expect(opened).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    session.destroy();
    // Every cancelled stream gives its upstream try (and circuit-breaker slot) back: before
    // the fix an h2 RST left them all active and the cluster answered 503 UO from then on.
    const deadline = Date.now() + 3_000;
    let active = -1;
    while (Date.now() < deadline) {
      const c = (await (await proxy.admin("/clusters")).json()) as { clusters: { name: string; activeRequests: number }[] };
      active = c.clusters.find((x) => x.name === "rec")?.activeRequests ?? -1;
      if (active === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(active).toBe(0);
    expect(await bystander()).toBe(200);
    expect((await proxy.admin("/ready")).status).toBe(200);
    // Cancelled streams cost no more upstream requests than were opened.
    expect(upstream.requests.length - before).toBeLessThanOrEqual(opened);
  });

  it("SETTINGS flood from a client that never reads: bounded memory, the proxy serves others meanwhile", async () => {
    const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    // An empty SETTINGS frame: length 0, type 4, flags 0, stream 0 (each one asks for an ACK).
    const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
    const flood = Buffer.concat([preface, ...Array.from({ length: 200_000 }, () => settings)]);
    const rssBefore = rssKiB(proxy.child.pid as number);
    const sock = connect({ host: "127.0.0.1", port });
    sock.on("error", () => undefined);
    try {
      // Never read: the ACKs back up on the proxy's side, which must stop reading (back
      // pressure) or close the session (nghttp2 flood detection), not buffer without bound.
      sock.pause();
      await new Promise<void>((r) => sock.once("connect", () => r()));
      sock.write(flood);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await bystander()).toBe(200);
      expect((await proxy.admin("/ready")).status).toBe(200);
      const grownKiB = rssKiB(proxy.child.pid as number) - rssBefore;
      expect(grownKiB).toBeLessThan(64 * 1024);
    } finally {
      sock.destroy();
    }
  });
});

/** Resident set size of a process (Linux /proc), in KiB. */
function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

describe("WebSocket floods", () => {
  it("20000 small frames are tunnelled without loss while other clients are served", async () => {
    wsMessages = 0;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    await new Promise<void>((r, j) => (ws.once("open", () => r()), ws.once("error", j)));
    const N = 20_000;
    for (let i = 0; i < N; i++) ws.send(`m${i}`);
    expect(await bystander()).toBe(200);
    const deadline = Date.now() + 10_000;
    while (wsMessages < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(wsMessages).toBe(N);
    ws.close();
  });

  it("a garbage frame stream after the upgrade costs only that tunnel", async () => {
    const r = await rawExchange(
      port,
      [
        head(["GET /ws HTTP/1.1", "Host: x", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]),
        Buffer.alloc(64 * 1024, 0xff),
      ],
      { gapMs: 100, timeoutMs: 4_000 },
    );
    expect(statuses(r.text)[0]).toBe(101);
    // ws closes the tunnel on the invalid frame (1002); the proxy passes the close on.
    expect(r.closed).toBe(true);
    expect(await bystander()).toBe(200);
    expect((await proxy.admin("/ready")).status).toBe(200);
  });
});
