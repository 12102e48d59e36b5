/**
 * Issue #20 item 6: data-plane trust boundaries. Before: any client forced tracing of
 * every request (`x-switchyard-force-trace`, a sampled traceparent), so spans of every
 * request landed in the console's database; and client-sent X-Real-IP, Forwarded,
 * X-Forwarded-Host, x-switchyard-* and Proxy-Authorization reached the upstream as if the
 * proxy vouched for them. Now: a client's sampling decision counts only from a listener's
 * `tracing.trustedSources`, within `clientSampledPerSecond`; those fields are dropped
 * (requests and WebSocket upgrades) while every other field passes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../apps/proxy/test/helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../../apps/proxy/test/helpers/start-proxy.ts";
import { rawExchange, startRecordingUpstream, type TRecordingUpstream } from "./helpers/raw.ts";

let upstream: TRecordingUpstream;
let proxy: TProxyProcess;
let open: number;
let trusting: number;

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPOOFED: Record<string, string> = {
  "x-real-ip": "10.9.9.9",
  forwarded: "for=10.9.9.9;host=admin.internal",
  "x-forwarded-host": "admin.internal",
  "x-forwarded-port": "8443",
  "x-switchyard-attempt-count": "7",
  "x-switchyard-role": "admin",
  "proxy-authorization": "Basic c2VjcmV0OnNlY3JldA==",
};

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  open = await freePort();
  trusting = await freePort();
  const route = { name: "all", match: { prefix: "/" }, route: { cluster: "app", allowUpgrade: true } };
  proxy = await startProxy({
    config: {
      listeners: [
        // No trusted sources (the default): clients decide nothing; sampleRate 0 traces nothing.
        { name: "open", address: "127.0.0.1", port: open, routeConfig: "main", tracing: { sampleRate: 0 } },
        { name: "trusting", address: "127.0.0.1", port: trusting, routeConfig: "main", tracing: { sampleRate: 0, trustedSources: ["127.0.0.1/32"], clientSampledPerSecond: 5 } },
      ],
      routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [route] }] }],
      clusters: [{ name: "app", endpoints: [{ address: "127.0.0.1", port: upstream.port }] }],
      secrets: [],
      rateLimitPolicies: [],
    },
  });
});
afterAll(async () => {
  await proxy?.stop();
  await upstream?.close();
});

/** The sampled flag the upstream saw in traceparent for requests to `path`. */
function sampledFlags(path: string): string[] {
  return upstream.requests.filter((r) => r.url.startsWith(path)).map((r) => String(r.headers.traceparent).slice(-2));
}

async function send(port: number, path: string, headers: Record<string, string>): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
}

describe("a client's sampling decision", () => {
  it("is ignored from an untrusted client: neither the force header nor a sampled traceparent traces", async () => {
    for (let i = 0; i < 20; i++) await send(open, `/forced/${i}`, { "x-switchyard-force-trace": "1" });
    for (let i = 0; i < 20; i++) await send(open, `/sampled/${i}`, { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` });
    expect(sampledFlags("/forced/")).toEqual(new Array(20).fill("00"));
    expect(sampledFlags("/sampled/")).toEqual(new Array(20).fill("00"));
    // The trace still joins the caller's.
    expect(upstream.requests.filter((r) => r.url.startsWith("/sampled/")).every((r) => String(r.headers.traceparent).slice(3, 35) === TRACE)).toBe(true);
  });

  it("counts from a trusted source, at most clientSampledPerSecond", async () => {
    const started = Date.now();
    await Promise.all(Array.from({ length: 40 }, (_, i) => send(trusting, `/trusted/${i}`, { "x-switchyard-force-trace": "1" })));
    const seconds = (Date.now() - started) / 1000;
    const traced = sampledFlags("/trusted/").filter((f) => f === "01").length;
    expect(traced).toBeGreaterThan(0);
    expect(traced).toBeLessThanOrEqual(5 + Math.ceil(5 * seconds));
  });
});

describe("fields the proxy owns", () => {
  it("a client's X-Real-IP, Forwarded, X-Forwarded-Host/-Port, x-switchyard-* and Proxy-Authorization never reach the upstream; other fields do", async () => {
    await send(open, "/owned", { ...SPOOFED, authorization: "Bearer app-token", "x-custom": "kept" });
    const seen = upstream.requests.find((r) => r.url === "/owned")!;
    for (const name of Object.keys(SPOOFED)) {
      if (name === "x-switchyard-attempt-count") expect(seen.headers[name], name).not.toBe("7");
      else expect(seen.headers[name], name).toBeUndefined();
    }
    expect(seen.headers.authorization).toBe("Bearer app-token");
    expect(seen.headers["x-custom"]).toBe("kept");
    expect(seen.headers["x-forwarded-for"]).toBeDefined();
  });

  it("nor through a WebSocket upgrade", async () => {
    const lines = Object.entries(SPOOFED).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    await rawExchange(
      open,
      `GET /ws-owned HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nx-custom: kept\r\n${lines}\r\n`,
      { timeoutMs: 1_500 },
    );
    const raw = upstream.raw().toLowerCase();
    const head = raw.slice(raw.indexOf("get /ws-owned"));
    expect(head).toContain("x-custom: kept");
    for (const name of Object.keys(SPOOFED)) expect(head.split("\r\n\r\n")[0], name).not.toContain(`${name}:`);
  });
});
