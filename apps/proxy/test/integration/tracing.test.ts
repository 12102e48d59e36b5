import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { freePort } from "../helpers/free-port.ts";
import { attr, startOtlpReceiver, type TOtlpSpan } from "../helpers/otlp-receiver.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";

/** These clients (127.0.0.1) trace on purpose: their sampling decisions count (issue #20: by default they do not). */
const TRUST_LOCAL = { trustedSources: ["127.0.0.1/32", "::1/128"], clientSampledPerSecond: 1_000 };
import { startUpstream, type TEcho, type TUpstream } from "../helpers/start-upstream.ts";

/**
 * Tracing end to end with real processes: the proxy CLI with --otlp-endpoint in front of
 * a real upstream, exporting to a real OTLP/HTTP receiver; and two proxies in a row
 * (edge -> inner -> upstream) for W3C and B3 propagation.
 */
let upstream: TUpstream;
let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
let edge: TProxyProcess;
let inner: TProxyProcess;
let edgeUrl: string;
let innerPort: number;

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

async function eventually<T>(what: string, fn: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function spansOf(traceId: string, service?: string): TOtlpSpan[] {
  return otlp.requests
    .flatMap((r) => r.body.resourceSpans)
    .filter((rs) => service === undefined || rs.resource.attributes.some((a) => a.key === "service.instance.id" && a.value.stringValue === service))
    .flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans))
    .filter((s) => s.traceId === traceId);
}

/** The access-log line of a request id. */
function logLine(proxy: TProxyProcess, requestId: string): Promise<Record<string, unknown>> {
  return proxy.waitForAccessLog((l) => l.requestId === requestId, 5_000);
}

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await request(`${edgeUrl}${path}`, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text };
}

beforeAll(async () => {
  [upstream, otlp] = await Promise.all([startUpstream("traced"), startOtlpReceiver()]);
  const edgePort = await freePort();
  innerPort = await freePort();
  edgeUrl = `http://127.0.0.1:${edgePort}`;
  const routes = (cluster: string) => [
    { name: "api", match: { prefix: "/api" }, route: { cluster } },
    { name: "unsampled", match: { prefix: "/quiet" }, route: { cluster } },
  ];
  inner = await startProxy({
    config: {
      listeners: [{ name: "inner", address: "127.0.0.1", port: innerPort, routeConfig: "main", tracing: TRUST_LOCAL }],
      routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: routes("up") }] }],
      clusters: [{ name: "up", endpoints: [{ address: "127.0.0.1", port: upstream.port }] }],
    },
    args: ["--otlp-endpoint", otlp.url],
    accessLogFile: true,
  });
  edge = await startProxy({
    config: {
      listeners: [
        { name: "edge", address: "127.0.0.1", port: edgePort, routeConfig: "main", tracing: { sampleRate: 1, ...TRUST_LOCAL } },
        // A second listener that samples nothing unless forced.
        { name: "edge-quiet", address: "127.0.0.1", port: await freePort(), routeConfig: "main", tracing: { sampleRate: 0, forceHeader: "x-trace-me", ...TRUST_LOCAL } },
      ],
      routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [
        ...routes("inner"),
        { name: "closed", match: { prefix: "/closed" }, route: { cluster: "closed" } },
        { name: "retried", match: { prefix: "/retried" }, route: { cluster: "direct", retryPolicy: { retryOn: ["5xx"], numRetries: 2, backoff: { baseMs: 5, maxMs: 10 } } } },
      ] }] }],
      clusters: [
        { name: "inner", endpoints: [{ address: "127.0.0.1", port: innerPort }] },
        { name: "closed", endpoints: [{ address: "127.0.0.1", port: await freePort() }] },
        { name: "direct", endpoints: [{ address: "127.0.0.1", port: upstream.port }] },
      ],
    },
    args: ["--otlp-endpoint", `${otlp.url}/v1/traces`],
    accessLogFile: true,
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([edge?.stop(), inner?.stop()]);
  await Promise.all([upstream?.close(), otlp?.close()]);
});

describe("OTLP/HTTP export", () => {
  it("exports a SERVER span per request and a CLIENT span per upstream try, with parent ids and attributes per the OTLP spec", async () => {
    const res = await get("/api/items?x=1", { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: "vendor=abc", "x-request-id": "req-otlp-1" });
    expect(res.status).toBe(200);

    const edgeSpans = await eventually("the edge's spans", () => {
      const s = spansOf(TRACE).filter((x) => attr(x, "switchyard.listener") === "edge" || attr(x, "switchyard.cluster") === "inner");
      return s.length >= 2 ? s : undefined;
    });
    const req = otlp.requests[0]!;
    expect(req.contentType).toBe("application/json");
    expect(req.path).toBe("/v1/traces");
    expect(req.body.resourceSpans[0]!.resource.attributes).toContainEqual({ key: "service.name", value: { stringValue: "switchyard-proxy" } });
    expect(req.body.resourceSpans[0]!.scopeSpans[0]!.scope.name).toBe("switchyard-proxy");

    const server = edgeSpans.find((s) => s.kind === 2 && attr(s, "switchyard.listener") === "edge")!;
    const client = edgeSpans.find((s) => s.kind === 3 && s.parentSpanId === server.spanId)!;
    expect(server).toBeDefined();
    expect(client).toBeDefined();
    // Ids: 16-byte trace id / 8-byte span ids as lower-case hex (OTLP JSON mapping).
    expect(server.traceId).toBe(TRACE);
    expect(server.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(server.parentSpanId).toBe(PARENT);
    expect(client.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(client.spanId).not.toBe(server.spanId);
    // Times: unix nanoseconds as decimal strings; the client span lies within the server span.
    for (const s of [server, client]) {
      expect(s.startTimeUnixNano).toMatch(/^\d{19}$/);
      expect(BigInt(s.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(s.startTimeUnixNano));
      expect(Math.abs(Number(BigInt(s.startTimeUnixNano) / 1_000_000n) - Date.now())).toBeLessThan(60_000);
    }
    expect(BigInt(client.startTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(server.startTimeUnixNano));
    expect(BigInt(client.endTimeUnixNano)).toBeLessThanOrEqual(BigInt(server.endTimeUnixNano));
    expect(server.status.code).toBe(1);
    expect(server.name).toBe("GET api");
    expect(attr(server, "http.request.method")).toBe("GET");
    expect(attr(server, "url.path")).toBe("/api/items");
    expect(attr(server, "http.response.status_code")).toBe(200);
    expect(attr(server, "switchyard.route")).toBe("api");
    expect(attr(server, "switchyard.cluster")).toBe("inner");
    expect(attr(server, "switchyard.request_id")).toBe("req-otlp-1");
    expect(attr(server, "switchyard.response_flags")).toBe("-");
    expect(attr(server, "switchyard.upstream.tries")).toBe(1);
    expect(attr(client, "switchyard.upstream_host")).toBe(`127.0.0.1:${innerPort}`);
    expect(attr(client, "server.port")).toBe(innerPort);
    expect(attr(client, "http.response.status_code")).toBe(200);
    expect(attr(client, "switchyard.upstream.attempt")).toBe(1);
    expect(attr(client, "switchyard.upstream.retry")).toBe(false);

    // The access log line carries the same trace id.
    const log = await logLine(edge, "req-otlp-1");
    expect(log).toMatchObject({ traceId: TRACE });
  });

  it("marks a failed try with its response flag and an error status", async () => {
    const tid = "11111111111111111111111111111111";
    const res = await get("/closed", { traceparent: `00-${tid}-${PARENT}-01` });
    expect(res.status).toBe(503);
    const spans = await eventually("the failed request's spans", () => {
      const s = spansOf(tid);
      return s.length >= 2 ? s : undefined;
    });
    const server = spans.find((s) => s.kind === 2)!;
    const client = spans.find((s) => s.kind === 3)!;
    expect(server.status.code).toBe(2);
    expect(attr(server, "switchyard.response_flags")).toBe("UF");
    expect(attr(server, "http.response.status_code")).toBe(503);
    expect(client.parentSpanId).toBe(server.spanId);
    expect(client.status.code).toBe(2);
    expect(attr(client, "switchyard.response_flags")).toBe("UF");
  });

  it("records one CLIENT span per upstream try when a request is retried", async () => {
    const tid = "88888888888888888888888888888888";
    const res = await get("/retried", { traceparent: `00-${tid}-${PARENT}-01`, "x-upstream-status": "503" });
    expect(res.status).toBe(503);
    const spans = await eventually("the server span and three try spans", () => {
      const s = spansOf(tid);
      return s.length >= 4 ? s : undefined;
    });
    const server = spans.find((s) => s.kind === 2)!;
    const tries = spans.filter((s) => s.kind === 3).sort((a, b) => (attr(a, "switchyard.upstream.attempt") as number) - (attr(b, "switchyard.upstream.attempt") as number));
    expect(tries.map((t) => attr(t, "switchyard.upstream.attempt"))).toEqual([1, 2, 3]);
    expect(tries.map((t) => attr(t, "switchyard.upstream.retry"))).toEqual([false, true, true]);
    expect(tries.every((t) => t.parentSpanId === server.spanId && attr(t, "http.response.status_code") === 503 && t.status.code === 2)).toBe(true);
    expect(new Set(tries.map((t) => t.spanId)).size).toBe(3);
    expect(attr(server, "switchyard.upstream.tries")).toBe(3);
    expect(attr(server, "switchyard.response_flags")).toBe("URX");
    // Each try told the upstream its own span id as parent.
    const seen = upstream.seen.filter((r) => r.url === "/retried").slice(-3).map((r) => String(r.headers.traceparent).slice(36, 52));
    expect(seen).toEqual(tries.map((t) => t.spanId));
  });

  it("samples by the listener's rate, honours an upstream decision, and forces tracing by header", async () => {
    const cfg = await (await edge.admin("/config_dump")).json() as { config: { listeners: { name: string; port: number }[] } };
    const quiet = `http://127.0.0.1:${cfg.config.listeners.find((l) => l.name === "edge-quiet")!.port}`;
    const unsampled = "22222222222222222222222222222222";
    const forced = "33333333333333333333333333333333";
    const declined = "44444444444444444444444444444444";
    // sampleRate 0, no decision: not recorded; forced by the listener's header: recorded.
    await (await request(`${quiet}/quiet`, { headers: { "x-b3-traceid": unsampled, "x-b3-spanid": PARENT } })).body.text();
    await (await request(`${quiet}/quiet`, { headers: { "x-b3-traceid": forced, "x-b3-spanid": PARENT, "x-trace-me": "1" } })).body.text();
    // sampleRate 1 but the caller said "not sampled": honoured (and propagated as such).
    const declinedRes = await request(`${edgeUrl}/api/declined`, { headers: { traceparent: `00-${declined}-${PARENT}-00` } });
    const echo = (await declinedRes.body.json()) as TEcho;
    expect(String(echo.headers.traceparent)).toMatch(new RegExp(`^00-${declined}-[0-9a-f]{16}-00$`));
    await eventually("the forced trace", () => (spansOf(forced).length >= 2 ? true : undefined));
    // Give any wrongly exported span a full flush interval to show up.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(spansOf(unsampled)).toEqual([]);
    expect(spansOf(declined)).toEqual([]);
  });
});

describe("propagation through two proxies", () => {
  it("continues a W3C trace: the inner proxy's server span is the child of the edge's client span, tracestate passes through", async () => {
    const tid = "55555555555555555555555555555555";
    const res = await get("/api/w3c", { traceparent: `00-${tid}-${PARENT}-01`, tracestate: "congo=t61rcWkgMzE" });
    const echo = JSON.parse(res.body) as TEcho;
    const seen = String(echo.headers.traceparent);
    expect(seen).toMatch(new RegExp(`^00-${tid}-[0-9a-f]{16}-01$`));
    expect(echo.headers.tracestate).toBe("congo=t61rcWkgMzE");
    const spans = await eventually("four spans", () => (spansOf(tid).length >= 4 ? spansOf(tid) : undefined));
    const edgeServer = spans.find((s) => s.kind === 2 && attr(s, "switchyard.listener") === "edge")!;
    const edgeClient = spans.find((s) => s.kind === 3 && s.parentSpanId === edgeServer.spanId)!;
    const innerServer = spans.find((s) => s.kind === 2 && attr(s, "switchyard.listener") === "inner")!;
    const innerClient = spans.find((s) => s.kind === 3 && s.parentSpanId === innerServer.spanId)!;
    expect(edgeServer.parentSpanId).toBe(PARENT);
    expect(innerServer.parentSpanId).toBe(edgeClient.spanId);
    // The upstream's parent is the inner proxy's try span.
    expect(seen.slice(36, 52)).toBe(innerClient.spanId);
  });

  it("continues a B3 multi-header trace (64-bit trace id padded) and keeps B3 headers for B3 services", async () => {
    const tid64 = "a3ce929d0e0e4736";
    const res = await get("/api/b3multi", { "x-b3-traceid": tid64, "x-b3-spanid": PARENT, "x-b3-sampled": "1" });
    const echo = JSON.parse(res.body) as TEcho;
    const tid = `0000000000000000${tid64}`;
    expect(echo.headers["x-b3-traceid"]).toBe(tid);
    expect(echo.headers["x-b3-sampled"]).toBe("1");
    expect(String(echo.headers.traceparent)).toMatch(new RegExp(`^00-${tid}-[0-9a-f]{16}-01$`));
    const spanId = String(echo.headers["x-b3-spanid"]);
    expect(String(echo.headers.traceparent).slice(36, 52)).toBe(spanId);
    const spans = await eventually("four spans", () => (spansOf(tid).length >= 4 ? spansOf(tid) : undefined));
    const innerServer = spans.find((s) => s.kind === 2 && attr(s, "switchyard.listener") === "inner")!;
    const edgeServer = spans.find((s) => s.kind === 2 && attr(s, "switchyard.listener") === "edge")!;
    expect(edgeServer.parentSpanId).toBe(PARENT);
    expect(spans.find((s) => s.spanId === innerServer.parentSpanId)?.parentSpanId).toBe(edgeServer.spanId);
    expect(echo.headers["x-b3-parentspanid"]).toBe(innerServer.spanId);
  });

  it("continues a B3 single-header trace and writes b3 back in the same format", async () => {
    const tid = "66666666666666666666666666666666";
    const res = await get("/api/b3single", { b3: `${tid}-${PARENT}-1` });
    const echo = JSON.parse(res.body) as TEcho;
    expect(String(echo.headers.b3)).toMatch(new RegExp(`^${tid}-[0-9a-f]{16}-1-[0-9a-f]{16}$`));
    expect(echo.headers["x-b3-traceid"]).toBeUndefined();
    const spans = await eventually("four spans", () => (spansOf(tid).length >= 4 ? spansOf(tid) : undefined));
    const innerClient = spans.find((s) => s.kind === 3 && attr(s, "switchyard.cluster") === "up")!;
    expect(String(echo.headers.b3).split("-")[1]).toBe(innerClient.spanId);
  });

  it("starts a trace when none comes in and returns x-request-id; both proxies log the same trace id", async () => {
    const res = await get("/api/fresh", { "x-request-id": "fresh-1" });
    expect(res.headers["x-request-id"]).toBe("fresh-1");
    const echo = JSON.parse(res.body) as TEcho;
    expect(echo.headers["x-request-id"]).toBe("fresh-1");
    const tid = String(echo.headers.traceparent).slice(3, 35);
    expect(tid).toMatch(/^[0-9a-f]{32}$/);
    expect((await logLine(edge, "fresh-1")).traceId).toBe(tid);
    expect((await logLine(inner, "fresh-1")).traceId).toBe(tid);
  });
});
