/**
 * The real client address (issue #15 item 2), against a real proxy: a spoofed
 * x-forwarded-for never satisfies a sourceIp principal unless hops are trusted;
 * `trustedHops` picks the address a trusted balancer saw; PROXY protocol v1 and v2 (over
 * plain HTTP, TLS with HTTP/1.1 and h2) give the declared client address to RBAC,
 * rate-limit keys, hash policies, x-forwarded-for, the access log and spans.
 */
import http2 from "node:http2";
import { connect, type Socket } from "node:net";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPki, type TPki } from "../../apps/proxy/test/helpers/certs.ts";
import { freePort } from "../../apps/proxy/test/helpers/free-port.ts";
import { attr, startOtlpReceiver } from "../../apps/proxy/test/helpers/otlp-receiver.ts";
import { proxyV1, proxyV2, v4Addresses } from "../../apps/proxy/test/helpers/proxy-header.ts";
import { startProxy, type TProxyProcess } from "../../apps/proxy/test/helpers/start-proxy.ts";
import { rawExchange, startRecordingUpstream, type TRecordingUpstream } from "./helpers/raw.ts";

let origin: TRecordingUpstream;
let ringA: TRecordingUpstream;
let ringB: TRecordingUpstream;
let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
let pki: TPki;
let proxy: TProxyProcess;
const port: Record<"direct" | "trusted" | "pp" | "pps", number> = { direct: 0, trusted: 0, pp: 0, pps: 0 };

/** Only 10.0.0.0/8 is allowed; everyone else gets 403. */
const rbac = [{ type: "rbac", rules: [{ allow: true, principals: [{ sourceIp: "10.0.0.0/8" }] }] }];

beforeAll(async () => {
  [origin, ringA, ringB, otlp, pki] = await Promise.all([startRecordingUpstream(), startRecordingUpstream(), startRecordingUpstream(), startOtlpReceiver(), createPki()]);
  const leaf = await pki.issue("localhost", ["DNS:localhost", "IP:127.0.0.1"]);
  for (const k of Object.keys(port) as (keyof typeof port)[]) port[k] = await freePort();
  proxy = await startProxy({
    accessLogFile: true,
    args: ["--otlp-endpoint", otlp.url],
    config: {
      listeners: [
        { name: "direct", address: "127.0.0.1", port: port.direct, routeConfig: "main", httpFilters: rbac },
        { name: "trusted", address: "127.0.0.1", port: port.trusted, routeConfig: "main", httpFilters: rbac, trustedHops: 1, tracing: { sampleRate: 1 } },
        { name: "pp", address: "127.0.0.1", port: port.pp, routeConfig: "main", httpFilters: rbac, proxyProtocol: true, limits: { headersTimeoutMs: 1000 } },
        { name: "pps", address: "127.0.0.1", port: port.pps, protocol: "https", routeConfig: "main", httpFilters: rbac, proxyProtocol: true, tls: { certificates: ["site"] } },
      ],
      routeConfigs: [
        {
          name: "main",
          virtualHosts: [
            {
              name: "all",
              domains: ["*"],
              routes: [
                { name: "limited", match: { prefix: "/limited" }, route: { cluster: "origin", rateLimit: "per-client" } },
                { name: "sticky", match: { prefix: "/sticky" }, route: { cluster: "ring", hashPolicy: [{ sourceIp: true }] } },
                { name: "all", match: { prefix: "/" }, route: { cluster: "origin" } },
              ],
            },
          ],
        },
      ],
      clusters: [
        { name: "origin", endpoints: [{ address: "127.0.0.1", port: origin.port }] },
        { name: "ring", lbPolicy: "ringHash", endpoints: [{ address: "127.0.0.1", port: ringA.port }, { address: "127.0.0.1", port: ringB.port }] },
      ],
      secrets: [{ name: "site", type: "tlsCertificate", certificate: leaf.cert, privateKey: leaf.key }],
      rateLimitPolicies: [{ name: "per-client", scope: "local", requests: 1, per: "minute", key: "remoteAddress" }],
    },
  });
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([origin?.close(), ringA?.close(), ringB?.close(), otlp?.close(), pki?.cleanup()]);
});

const get = (target: string, extra: string[] = []) => ["GET " + target + " HTTP/1.1", "Host: x", "User-Agent: probe/1.0", ...extra, "Connection: close"].join("\r\n") + "\r\n\r\n";

describe("x-forwarded-for is only believed from trusted hops", () => {
  it("trustedHops 0 (default): a spoofed x-forwarded-for never satisfies a sourceIp principal", async () => {
    for (const xff of ["10.1.2.3", "10.1.2.3, 10.4.5.6", "127.0.0.1, 10.1.2.3"]) {
      const before = origin.requests.length;
      expect((await rawExchange(port.direct, get("/a", [`X-Forwarded-For: ${xff}`]))).status, xff).toBe(403);
      expect(origin.requests.length).toBe(before);
    }
  });

  it("trustedHops 1: the entry the balancer appended is the client", async () => {
    expect((await rawExchange(port.trusted, get("/a", ["X-Forwarded-For: 10.1.2.3"]))).status).toBe(200);
    // The client wrote 10.1.2.3 itself; the balancer appended what it saw: 192.0.2.7.
    expect((await rawExchange(port.trusted, get("/a", ["X-Forwarded-For: 10.1.2.3, 192.0.2.7"]))).status).toBe(403);
    // Two fields count as one list.
    expect((await rawExchange(port.trusted, get("/a", ["X-Forwarded-For: 192.0.2.7", "X-Forwarded-For: 10.1.2.3"]))).status).toBe(200);
  });

  it("trustedHops 1: no header, or a value that is not an address, falls back to the peer", async () => {
    expect((await rawExchange(port.trusted, get("/a"))).status).toBe(403);
    expect((await rawExchange(port.trusted, get("/a", ["X-Forwarded-For: 10.0.0.1:80"]))).status).toBe(403);
    expect((await rawExchange(port.trusted, get("/a", ["X-Forwarded-For: unknown"]))).status).toBe(403);
  });

  it("remoteAddress rate-limit keys count per client, not per balancer", async () => {
    const limited = (ip: string) => rawExchange(port.trusted, get("/limited", [`X-Forwarded-For: ${ip}`])).then((r) => r.status);
    expect(await limited("10.0.0.1")).toBe(200);
    expect(await limited("10.0.0.1")).toBe(429);
    expect(await limited("10.0.0.2")).toBe(200);
  });

  it("hashPolicy sourceIp keeps a client on one endpoint and spreads clients", async () => {
    const hit = async (ip: string) => {
      const [a, b] = [ringA.requests.length, ringB.requests.length];
      expect((await rawExchange(port.trusted, get("/sticky", [`X-Forwarded-For: ${ip}`]))).status).toBe(200);
      return ringA.requests.length > a ? "A" : ringB.requests.length > b ? "B" : "?";
    };
    const one = new Set<string>();
    for (let i = 0; i < 10; i++) one.add(await hit("10.7.7.7"));
    expect(one.size).toBe(1);
    const many = new Set<string>();
    for (let i = 0; i < 24; i++) many.add(await hit(`10.8.${i}.${i * 7}`));
    expect([...many].sort()).toEqual(["A", "B"]);
  });

  it("the access log and the span carry the client address, user agent and protocol", async () => {
    await rawExchange(port.trusted, get("/logged", ["X-Forwarded-For: 10.3.3.3", "X-Switchyard-Force-Trace: 1"]));
    expect(await proxy.waitForAccessLog((l) => l.path === "/logged")).toMatchObject({ clientAddress: "10.3.3.3", userAgent: "probe/1.0", protocol: "HTTP/1.1" });
    let span;
    for (let i = 0; i < 100 && !span; i++) {
      span = otlp.spans().find((s) => s.kind === 2 && attr(s, "url.path") === "/logged");
      if (!span) await new Promise((r) => setTimeout(r, 100));
    }
    expect(span).toBeDefined();
    expect(attr(span!, "client.address")).toBe("10.3.3.3");
    expect(attr(span!, "user_agent.original")).toBe("probe/1.0");
    expect(attr(span!, "network.protocol.version")).toBe("1.1");
  });
});

describe("PROXY protocol", () => {
  it("v1: the declared source is the client (RBAC) and goes upstream in x-forwarded-for", async () => {
    const before = origin.requests.length;
    const r = await rawExchange(port.pp, [proxyV1("10.9.8.7") + get("/pp1")]);
    expect(r.status).toBe(200);
    const seen = origin.requests.slice(before);
    expect(seen.map((q) => q.url)).toEqual(["/pp1"]);
    expect(String(seen[0]?.headers["x-forwarded-for"])).toBe("10.9.8.7");
    expect((await rawExchange(port.pp, proxyV1("192.0.2.1") + get("/pp1"))).status).toBe(403);
  });

  it("v1 header split over several packets, then the request", async () => {
    const h = proxyV1("10.9.8.7");
    const r = await rawExchange(port.pp, [h.slice(0, 5), h.slice(5, 20), h.slice(20), get("/pp2")], { gapMs: 30 });
    expect(r.status).toBe(200);
  });

  it("v2 binary: PROXY over IPv4 with TLVs; LOCAL keeps the peer address", async () => {
    const v2 = proxyV2(1, 0x11, v4Addresses("10.6.6.6", "127.0.0.1", 5000, 80), Buffer.from([0x04, 0x00, 0x01, 0x00]));
    expect((await rawExchange(port.pp, Buffer.concat([v2, Buffer.from(get("/pp3"))]))).status).toBe(200);
    const local = proxyV2(0, 0x00, Buffer.alloc(0));
    expect((await rawExchange(port.pp, Buffer.concat([local, Buffer.from(get("/pp3"))]))).status).toBe(403);
  });

  it("a connection without the header, or with a bad one, is closed unanswered", async () => {
    const before = origin.requests.length;
    for (const payload of [get("/nopp", ["X-Forwarded-For: 10.1.1.1"]), "PROXY TCP4 10.1.1.1 x 1 2\r\n" + get("/nopp"), "PROXY TCP4 10.1.1.1 127.0.0.1 1 2" + "x".repeat(100)]) {
      const r = await rawExchange(port.pp, payload, { timeoutMs: 3_000 });
      expect(r.closed).toBe(true);
      expect(r.text).toBe("");
    }
    expect(origin.requests.length).toBe(before);
  });

  it("h2c prior knowledge after the header: the declared source is the client", async () => {
    const raw = await new Promise<Socket>((resolve, reject) => {
      const sock = connect({ host: "127.0.0.1", port: port.pp }, () => resolve(sock));
      sock.once("error", reject);
    });
    raw.write(proxyV1("10.2.2.2"));
    const session = http2.connect(`http://127.0.0.1:${port.pp}`, { createConnection: () => raw });
    session.on("error", () => undefined);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const s = session.request({ ":path": "/h2c-pp", "user-agent": "h2probe" });
        s.on("response", (h) => resolve(Number(h[":status"])));
        s.on("error", reject);
        s.resume();
        s.end();
      });
      expect(status).toBe(200);
    } finally {
      session.close();
    }
    expect(await proxy.waitForAccessLog((l) => l.path === "/h2c-pp")).toMatchObject({ clientAddress: "10.2.2.2", userAgent: "h2probe", protocol: "HTTP/2" });
  });

  it("a client that never sends the header is closed after headersTimeoutMs", async () => {
    const r = await rawExchange(port.pp, [], { timeoutMs: 4_000 });
    expect(r.closed).toBe(true);
    expect(r.ms).toBeLessThan(3_000);
  });

  /** A TCP connection to the https listener that writes `header` before TLS starts. */
  function proxiedTls(header: string | Buffer, alpn: string): Promise<tls.TLSSocket> {
    return new Promise((resolve, reject) => {
      const raw: Socket = connect({ host: "127.0.0.1", port: port.pps }, () => {
        raw.write(header);
        const t = tls.connect({ socket: raw, ca: pki.ca.cert, servername: "localhost", ALPNProtocols: [alpn] }, () => resolve(t));
        t.once("error", reject);
      });
      raw.once("error", reject);
    });
  }

  it("over TLS with HTTP/1.1: the declared source is the client", async () => {
    for (const [src, status] of [["10.5.5.5", 200], ["192.0.2.9", 403]] as const) {
      const t = await proxiedTls(proxyV1(src, "127.0.0.1", 40000, 443), "http/1.1");
      const text = await new Promise<string>((resolve) => {
        let out = "";
        t.on("data", (d: Buffer) => (out += d.toString("latin1")));
        t.on("close", () => resolve(out));
        t.write(get("/tls1"));
      });
      expect(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), src).toBe(status);
    }
  });

  it("over TLS with h2: the declared source is the client", async () => {
    const v2 = proxyV2(1, 0x11, v4Addresses("10.4.4.4", "127.0.0.1", 5000, 443));
    const t = await proxiedTls(v2, "h2");
    const session = http2.connect(`https://localhost:${port.pps}`, { createConnection: () => t });
    session.on("error", () => undefined);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const s = session.request({ ":path": "/tls2" });
        s.on("response", (h) => resolve(Number(h[":status"])));
        s.on("error", reject);
        s.resume();
        s.end();
      });
      expect(status).toBe(200);
    } finally {
      session.close();
    }
    expect(await proxy.waitForAccessLog((l) => l.path === "/tls2")).toMatchObject({ clientAddress: "10.4.4.4", protocol: "HTTP/2" });
  });
});
