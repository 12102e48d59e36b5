import { describe, expect, it } from "vitest";
import { extractContext, formatTraceparent, injectContext, parseTraceparent } from "../../src/observability/tracing/context.ts";
import { RequestTrace } from "../../src/observability/tracing/request-trace.ts";
import { compileAccessLogFormat, type TAccessLogEntry } from "../../src/observability/access-log.ts";
import { StatsWindow } from "../../src/observability/stats-window.ts";
import { LATENCY_BOUNDS_MS, ZStatsMessage, percentileMs, statsSamples } from "@switchyard/config-model";

const T = "4bf92f3577b34da6a3ce929d0e0e4736";
const S = "00f067aa0ba902b7";

describe("trace context", () => {
  it("parses and formats W3C traceparent, refusing invalid ones", () => {
    expect(parseTraceparent(`00-${T}-${S}-01`)).toEqual({ traceId: T, parentSpanId: S, sampled: true });
    expect(parseTraceparent(`00-${T}-${S}-00`)?.sampled).toBe(false);
    expect(parseTraceparent(`00-${"0".repeat(32)}-${S}-01`)).toBeNull();
    expect(parseTraceparent(`00-${T}-${"0".repeat(16)}-01`)).toBeNull();
    expect(parseTraceparent(`ff-${T}-${S}-01`)).toBeNull();
    expect(parseTraceparent(`00-${T}-${S}-01-extra`)).toBeNull();
    expect(parseTraceparent(`01-${T}-${S}-01-future`)).toEqual({ traceId: T, parentSpanId: S, sampled: true });
    expect(parseTraceparent("garbage")).toBeNull();
    expect(formatTraceparent(T, S, true)).toBe(`00-${T}-${S}-01`);
  });

  it("reads B3 single and multi headers (64-bit ids padded, debug = sampled, decision-only headers)", () => {
    expect(extractContext({ b3: `${T}-${S}-1` })).toMatchObject({ traceId: T, parentSpanId: S, sampled: true, b3: "single" });
    expect(extractContext({ b3: "0" })).toMatchObject({ traceId: "", sampled: false });
    expect(extractContext({ "x-b3-traceid": "a3ce929d0e0e4736", "x-b3-spanid": S, "x-b3-flags": "1" })).toMatchObject({
      traceId: `0000000000000000a3ce929d0e0e4736`,
      sampled: true,
      b3: "multi",
    });
    expect(extractContext({ "x-b3-traceid": T, "x-b3-spanid": S })).toMatchObject({ sampled: null });
    // W3C wins over B3, but B3 is still written back.
    expect(extractContext({ traceparent: `00-${T}-${S}-00`, b3: `${"1".repeat(32)}-${S}-1` })).toMatchObject({ traceId: T, sampled: false, b3: "single" });
    expect(extractContext({})).toBeNull();
  });

  it("injects traceparent always and B3 in the incoming format", () => {
    const out: string[] = [];
    injectContext(out, T, "1111111111111111", S, true, "v=1", "multi");
    expect(out).toEqual(["traceparent", `00-${T}-1111111111111111-01`, "tracestate", "v=1", "x-b3-traceid", T, "x-b3-spanid", "1111111111111111", "x-b3-sampled", "1", "x-b3-parentspanid", S]);
  });

  it("decides sampling once: force header, then the caller's decision (when the policy lets it count), then the rate", () => {
    const trusting = { clientDecides: () => true };
    const policy = { sampleRate: 0, forceHeader: "x-force", ...trusting };
    expect(new RequestTrace({}, policy).sampled).toBe(false);
    expect(new RequestTrace({ "x-force": "1" }, policy).sampled).toBe(true);
    expect(new RequestTrace({ traceparent: `00-${T}-${S}-01` }, policy).sampled).toBe(true);
    expect(new RequestTrace({ traceparent: `00-${T}-${S}-00` }, { sampleRate: 1, forceHeader: "x-force", ...trusting }).sampled).toBe(false);
    // A client whose decision does not count (not a trusted source, or over the budget): the rate decides.
    expect(new RequestTrace({ "x-force": "1" }, { ...policy, clientDecides: () => false }).sampled).toBe(false);
    const sampled = Array.from({ length: 2000 }, () => new RequestTrace({}, { sampleRate: 0.25, forceHeader: "x", ...trusting }).sampled).filter(Boolean).length;
    expect(sampled).toBeGreaterThan(350);
    expect(sampled).toBeLessThan(650);
  });

  it("records one CLIENT span per try, children of the SERVER span", () => {
    const t = new RequestTrace({ traceparent: `00-${T}-${S}-01` }, { sampleRate: 1, forceHeader: "x", clientDecides: () => true });
    const spans: { spanId: string; parentSpanId?: string; kind: string; attributes: Record<string, unknown> }[] = [];
    const h1: string[] = [];
    const try1 = t.startTry(h1);
    t.endTry(try1, "router up egress", {}, true);
    const try2 = t.startTry([]);
    t.endTry(try2, "router up egress", {}, false);
    t.finish((s) => spans.push(s), "GET api", {}, false);
    expect(spans.map((s) => s.kind)).toEqual(["server", "client", "client"]);
    expect(spans[0]!.parentSpanId).toBe(S);
    expect(spans[1]!.parentSpanId).toBe(spans[0]!.spanId);
    expect(spans[2]!.attributes).toMatchObject({ "switchyard.upstream.attempt": 2, "switchyard.upstream.retry": true });
    expect(h1[1]).toBe(`00-${T}-${try1.spanId}-01`);
  });
});

describe("access log format", () => {
  it("compiles an Envoy-style template once; null fields print '-'", () => {
    const f = compileAccessLogFormat("%METHOD% %PATH% %STATUS% [%RESPONSE_FLAGS%] up=%UPSTREAM_HOST%")!;
    const entry = { method: "GET", path: "/a", status: 200, responseFlags: "-", upstreamHost: null } as unknown as TAccessLogEntry;
    expect(f(entry)).toBe("GET /a 200 [-] up=-");
    expect(compileAccessLogFormat(undefined)).toBeNull();
  });
});

describe("stats window", () => {
  it("keys by (listener, route, cluster), counts classes and forgets idle keys", () => {
    const w = new StatsWindow();
    w.record("l", "r", "c", 200, 10, 5, 50);
    w.record("l", "r", "c", 503, 100, 0, 10);
    w.record("l", "", "", 404, 1, 0, 0);
    const m = w.take()!;
    // The compact wire form, decoded the way the console decodes it.
    const decoded = statsSamples(ZStatsMessage.parse(JSON.parse(JSON.stringify(m))));
    if (!("samples" in decoded)) throw new Error(decoded.error);
    const r = decoded.samples.find((e) => e.kind === "route" && e.name === "r")!;
    expect(r).toMatchObject({ listener: "l", cluster: "c", requests: 2, bytesIn: 5, bytesOut: 60, classes: [0, 1, 0, 0, 1] });
    const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
    for (const [i, c] of r.counts) counts[i] = c;
    expect(Math.abs(percentileMs(counts, 1)! - 100) / 100).toBeLessThan(0.05);
    expect(decoded.samples.filter((e) => e.kind === "cluster")).toHaveLength(1);
    expect(w.take()).toBeNull();
  });
});

describe("control-plane send queue", () => {
  it("keeps at most sendQueueMax telemetry messages while disconnected, dropping the oldest and counting items", async () => {
    const { startControlPlaneClient } = await import("../../src/control-plane/client.ts");
    const client = startControlPlaneClient({
      url: "ws://127.0.0.1:1/api/xds",
      nodeId: "q",
      group: "default",
      proxyVersion: "test",
      getApplied: () => null,
      apply: async () => ({ ok: true }),
      log: () => undefined,
      sendQueueMax: 2,
      backoff: { baseMs: 60_000, capMs: 60_000 },
    });
    expect(client.sendTelemetry({ type: "spans", spans: [1, 2, 3] })).toBe(true);
    expect(client.sendTelemetry({ type: "stats", entries: [] })).toBe(true);
    expect(client.sendTelemetry({ type: "stats", entries: [] })).toBe(false);
    expect(client.sendTelemetry({ type: "health", events: [1] })).toBe(false);
    expect(client.takeDropped()).toEqual({ spans: 3, stats: 1, health: 0 });
    expect(client.takeDropped()).toEqual({ spans: 0, stats: 0, health: 0 });
    await client.close();
  });
});

describe("listener tracing / access-log defaults", () => {
  it("samples 1 % of undecided requests and logs every request unless the listener says otherwise", async () => {
    const { validateConfig } = await import("@switchyard/config-model");
    const { compileListeners } = await import("../../src/runtime/compile.ts");
    const base = { name: "l", port: 8080, routeConfig: "rc" };
    const result = validateConfig({
      listeners: [base, { ...base, name: "m", port: 8081, tracing: { sampleRate: 0.5 }, accessLog: { format: "%STATUS%", sampleRate: 0.1 } }],
      routeConfigs: [{ name: "rc", virtualHosts: [{ name: "v", domains: ["*"], routes: [{ name: "r", match: { prefix: "/" }, directResponse: { status: 200 } }] }] }],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const [l, m] = compileListeners(result.config, new Map());
    expect(l!.tracing).toMatchObject({ sampleRate: 0.01, forceHeader: "x-switchyard-force-trace" });
    // No trusted sources by default: a client decides nothing (issue #20).
    expect(l!.tracing.clientDecides("127.0.0.1", true)).toBe(false);
    expect(l!.accessLog).toMatchObject({ sampleRate: 1, format: null });
    expect(m!.tracing.sampleRate).toBe(0.5);
    expect(m!.accessLog.sampleRate).toBe(0.1);
    expect(typeof m!.accessLog.format).toBe("function");
    const bad = validateConfig({ ...result.config, listeners: [{ ...base, accessLog: { format: "%NOPE%" } }] });
    expect(bad.ok ? [] : bad.issues).toContainEqual(expect.objectContaining({ path: "listeners[0].accessLog.format" }));
  });
});
