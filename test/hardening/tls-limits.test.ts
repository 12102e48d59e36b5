/**
 * Listener limits on every protocol (issue #15 item 3): headersTimeoutMs, requestTimeoutMs,
 * maxHeaderBytes and the keep-alive idle timeout hold on an `https` listener (HTTP/1.1 over
 * TLS, h2 over TLS, the TLS handshake itself) and on h2c, as they do for HTTP/1.1 on `http`.
 * Slow clients are closed on time; the proxy serves others meanwhile.
 */
import http2, { type ClientHttp2Session } from "node:http2";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPki, type TPki } from "../../apps/proxy/test/helpers/certs.ts";
import { freePort } from "../../apps/proxy/test/helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../../apps/proxy/test/helpers/start-proxy.ts";
import { rawExchange, startRecordingUpstream, statuses, type TRecordingUpstream } from "./helpers/raw.ts";

let upstream: TRecordingUpstream;
let pki: TPki;
let proxy: TProxyProcess;
let httpsPort: number;
let h2cPort: number;

/** idleTimeoutMs well above headersTimeoutMs, so each test tells which of the two closed a connection. */
const LIMITS = { maxHeaderBytes: 32_768, headersTimeoutMs: 1000, requestTimeoutMs: 3000, idleTimeoutMs: 3000 };

beforeAll(async () => {
  // The upstream takes larger heads than the proxy, so a 431 can only be the proxy's.
  [upstream, pki] = await Promise.all([startRecordingUpstream({ maxHeaderSize: 131_072 }), createPki()]);
  const leaf = await pki.issue("localhost", ["DNS:localhost"]);
  httpsPort = await freePort();
  h2cPort = await freePort();
  proxy = await startProxy({
    config: {
      listeners: [
        { name: "tls", address: "127.0.0.1", port: httpsPort, protocol: "https", routeConfig: "main", tls: { certificates: ["site"] }, limits: { ...LIMITS, maxConcurrentStreams: 50 } },
        { name: "plain", address: "127.0.0.1", port: h2cPort, routeConfig: "main", limits: LIMITS },
      ],
      routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "all", match: { prefix: "/" }, route: { cluster: "rec" } }] }] }],
      clusters: [{ name: "rec", endpoints: [{ address: "127.0.0.1", port: upstream.port }] }],
      secrets: [{ name: "site", type: "tlsCertificate", certificate: leaf.cert, privateKey: leaf.key }],
    },
  });
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([upstream?.close(), pki?.cleanup()]);
});

const head = (lines: string[]) => lines.join("\r\n") + "\r\n\r\n";
const tls = () => ({ tlsCa: pki.ca.cert });

/** A client that behaves, over TLS: must be served while the slow ones are held. */
async function bystander(): Promise<number> {
  const r = await rawExchange(httpsPort, head(["GET /bystander HTTP/1.1", "Host: x", "Connection: close"]), { ...tls(), timeoutMs: 3_000 });
  return r.status ?? 0;
}

describe("https listener, HTTP/1.1 over TLS", () => {
  it("a TCP connection that never starts the TLS handshake is closed after headersTimeoutMs", async () => {
    const start = Date.now();
    const closedAfter = await new Promise<number>((resolve) => {
      const s = connect({ host: "127.0.0.1", port: httpsPort });
      s.on("error", () => undefined);
      s.on("close", () => resolve(Date.now() - start));
      setTimeout(() => s.destroy(), 8_000);
    });
    expect(closedAfter).toBeGreaterThanOrEqual(900);
    expect(closedAfter).toBeLessThan(2_500);
  });

  it("slowloris: a head trickled byte by byte gets 408 and the connection closes", async () => {
    const bytes = head(["GET /slow-tls HTTP/1.1", "Host: x", `X-Pad: ${"p".repeat(200)}`]).split("");
    const slow = rawExchange(httpsPort, bytes, { ...tls(), gapMs: 40, timeoutMs: 8_000 });
    expect(await bystander()).toBe(200);
    const r = await slow;
    expect(r.closed).toBe(true);
    expect(r.ms).toBeLessThan(5_000);
    expect(statuses(r.text)).toEqual([408]);
    expect(upstream.requests.find((q) => q.url === "/slow-tls")).toBeUndefined();
  });

  it("slow POST: a body trickled past requestTimeoutMs is cut off and never completes upstream", async () => {
    const parts: string[] = [head(["POST /slowpost-tls HTTP/1.1", "Host: x", "Content-Length: 500"])];
    for (let i = 0; i < 500; i++) parts.push("x");
    const r = await rawExchange(httpsPort, parts, { ...tls(), gapMs: 20, timeoutMs: 9_000 });
    expect(r.closed).toBe(true);
    expect(r.ms).toBeLessThan(6_500);
    expect(upstream.requests.filter((q) => q.url === "/slowpost-tls").every((q) => !q.complete)).toBe(true);
    expect(await bystander()).toBe(200);
  });

  it("maxHeaderBytes: a 20 KB head passes under a 32 KB limit (Node's default is 16 KB); a 40 KB head gets 431", async () => {
    const withPad = (n: number) => head(["GET /big-head HTTP/1.1", "Host: x", `X-Pad: ${"p".repeat(n)}`, "Connection: close"]);
    expect((await rawExchange(httpsPort, withPad(20_000), tls())).status).toBe(200);
    expect((await rawExchange(httpsPort, withPad(40_000), tls())).status).toBe(431);
  });

  it("an idle keep-alive connection is closed after idleTimeoutMs", async () => {
    const r = await rawExchange(httpsPort, head(["GET /idle HTTP/1.1", "Host: x"]), { ...tls(), timeoutMs: 8_000 });
    expect(statuses(r.text)).toEqual([200]);
    expect(r.closed).toBe(true);
    expect(r.ms).toBeGreaterThanOrEqual(2_900);
    expect(r.ms).toBeLessThan(5_500);
  });
});

/** An h2 session over TLS (or h2c), connected. */
async function h2session(secure: boolean): Promise<ClientHttp2Session> {
  const session = secure
    ? http2.connect(`https://localhost:${httpsPort}`, { ca: pki.ca.cert })
    : http2.connect(`http://127.0.0.1:${h2cPort}`);
  session.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    session.once("connect", () => resolve());
    session.once("error", reject);
  });
  return session;
}

/** One request; resolves with the status, or 0 when the stream was reset without one. */
function h2request(session: ClientHttp2Session, headers: Record<string, string>, body?: (stream: http2.ClientHttp2Stream) => void): Promise<{ status: number; ms: number }> {
  const start = Date.now();
  return new Promise((resolve) => {
    let status = 0;
    const s = session.request(headers);
    // Bounded: a stream the proxy never ends is cancelled here (and shows as status 0 or late).
    const guard = setTimeout(() => s.close(http2.constants.NGHTTP2_CANCEL), 10_000);
    s.on("response", (h) => (status = Number(h[":status"])));
    s.on("error", () => undefined);
    s.on("close", () => {
      clearTimeout(guard);
      resolve({ status, ms: Date.now() - start });
    });
    s.resume();
    if (body) body(s);
    else s.end();
  });
}

for (const secure of [true, false]) {
  describe(secure ? "https listener, h2 over TLS" : "http listener, h2c", () => {
    it("slow POST: a stream whose body trickles past requestTimeoutMs gets 408; other streams are served", async () => {
      const session = await h2session(secure);
      try {
        let timer: NodeJS.Timeout | undefined;
        const slow = h2request(session, { ":method": "POST", ":path": "/slow-h2" }, (s) => {
          timer = setInterval(() => (s.writable ? s.write("x") : clearInterval(timer)), 100);
        });
        expect((await h2request(session, { ":path": "/bystander-h2" })).status).toBe(200);
        const r = await slow;
        clearInterval(timer);
        expect(r.status).toBe(408);
        expect(r.ms).toBeLessThan(5_500);
        expect(upstream.requests.filter((q) => q.url === "/slow-h2").every((q) => !q.complete)).toBe(true);
        expect((await h2request(session, { ":path": "/after-h2" })).status).toBe(200);
      } finally {
        session.close();
      }
    });

    it("maxHeaderBytes: a header list over the limit gets 431 (even on a session's first stream, before SETTINGS are acknowledged)", async () => {
      const session = await h2session(secure);
      try {
        const before = upstream.requests.length;
        const r = await h2request(session, { ":path": "/big-h2", "x-pad": "p".repeat(40_000) });
        expect([431, 0]).toContain(r.status);
        expect(upstream.requests.length).toBe(before);
        expect((await h2request(session, { ":path": "/fits-h2", "x-pad": "p".repeat(20_000) })).status).toBe(200);
      } finally {
        session.close();
      }
    });

    it("SETTINGS: max concurrent streams (configured 50 / default 100, not Node's 2^32-1) and the header list size", async () => {
      const session = await h2session(secure);
      try {
        // The server's SETTINGS frame precedes any response on the connection.
        expect((await h2request(session, { ":path": "/settings-h2" })).status).toBe(200);
        expect(session.remoteSettings.maxConcurrentStreams).toBe(secure ? 50 : 100);
        expect(session.remoteSettings.maxHeaderListSize).toBe(LIMITS.maxHeaderBytes);
      } finally {
        session.close();
      }
    });

    it("a session that never opens a stream is closed after headersTimeoutMs", async () => {
      const session = await h2session(secure);
      const start = Date.now();
      const closedAfter = await new Promise<number>((resolve) => {
        session.once("close", () => resolve(Date.now() - start));
        setTimeout(() => session.destroy(), 8_000);
      });
      expect(closedAfter).toBeLessThan(2_500);
    });

    it("an idle session is closed after idleTimeoutMs", async () => {
      const session = await h2session(secure);
      expect((await h2request(session, { ":path": "/idle-h2" })).status).toBe(200);
      const start = Date.now();
      const closedAfter = await new Promise<number>((resolve) => {
        session.once("close", () => resolve(Date.now() - start));
        setTimeout(() => session.destroy(), 8_000);
      });
      expect(closedAfter).toBeGreaterThanOrEqual(2_900);
      expect(closedAfter).toBeLessThan(5_500);
    });
  });
}
