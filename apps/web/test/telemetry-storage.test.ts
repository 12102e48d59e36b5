/**
 * Telemetry storage and reads on real PostgreSQL: windows from two nodes merge by adding
 * histograms (the p99 of the merge, not an average of p99s), rollups keep long ranges
 * exact, retention deletes what is past its age, traces filter and form a waterfall.
 */
import { createTestDatabase, type TTestDatabase } from "@switchyard/db/testing";
import { emptyHistogram, latencyBucket, type TStatsMessage, type TSpan } from "@switchyard/config-model";
import { RAW_RESOLUTION_S, ROLLUP_RESOLUTION_S, pruneTelemetry, readGroupWindow, rollupStats, listTraces, getTraceSpans } from "@switchyard/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTelemetryIngest, TelemetryLayoutError } from "../src/server/telemetry/ingest.ts";
import { figuresOf } from "../src/server/rollout/guard.ts";
import { series, summarize } from "../src/server/telemetry/query.ts";
import { waterfall } from "../src/server/telemetry/traces.ts";

let t: TTestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

function window(end: number, route: string, latencies: number[], fiveXx: number): TStatsMessage {
  const h = emptyHistogram();
  for (const ms of latencies) {
    h.counts[latencyBucket(ms)]!++;
    h.sum += ms;
  }
  h.count = latencies.length;
  const classes = { "1xx": 0, "2xx": latencies.length - fiveXx, "3xx": 0, "4xx": 0, "5xx": fiveXx };
  const entry = { requests: latencies.length, codeClasses: classes, bytesIn: 0, bytesOut: 10 * latencies.length, latency: h };
  return {
    type: "stats",
    windowStart: end - 5000,
    windowEnd: end,
    dropped: 0,
    droppedSpans: 0,
    entries: [
      { kind: "route", name: route, listener: "public", cluster: "backend", ...entry },
      { kind: "cluster", name: "backend", ...entry },
    ],
  };
}

describe("telemetry storage", () => {
  it("merges two nodes' histograms: p99 comes from the merged counts", async () => {
    const ingest = createTelemetryIngest(t.db);
    const now = Date.now();
    // node a: 99 fast requests; node b: 1 request at 800 ms and 9 errors at 5 ms.
    await ingest.stats("a", window(now - 1000, "merge", Array(99).fill(10), 0));
    await ingest.stats("b", window(now - 1000, "merge", [800, ...Array(9).fill(5)], 9));
    const [r] = (await summarize(t.db, "route", 60, now)).filter((x) => x.name === "merge");
    expect(r).toMatchObject({ requests: 109, statusClasses: { "2xx": 100, "5xx": 9 } });
    expect(r!.errorRatio).toBeCloseTo(9 / 109, 6);
    // Nearest rank 108 of 109 is a 10 ms request; averaging per-node p99s would say ~405 ms.
    expect(Math.abs(r!.p99Ms! - 10) / 10).toBeLessThan(0.05);
    expect(Math.abs(r!.p50Ms! - 10) / 10).toBeLessThan(0.05);
    const clusters = await summarize(t.db, "cluster", 60, now);
    expect(clusters.find((c) => c.name === "backend")?.requests).toBe(109);
  });

  it("gives the SLO guard a group's windows by their start, route rows only, other groups left out", async () => {
    const ingest = createTelemetryIngest(t.db);
    await t.db.prisma.node.createMany({ data: [{ id: "g-canary-1", group: "g-canary" }, { id: "g-canary-2", group: "g-canary" }, { id: "g-stable-1", group: "g-stable" }] });
    // The change happens at T, in the middle of a 10 s bucket [T - 5 s, T + 5 s).
    const T = Math.floor(Date.now() / 10_000) * 10_000 - 60_000 + 5_000;
    const at = (start: number, end: number, m: TStatsMessage): TStatsMessage => ({ ...m, windowStart: start, windowEnd: end });
    await ingest.stats("g-canary-1", at(T - 4000, T - 1000, window(0, "guard", Array(10).fill(10), 0)));
    // Same bucket as the window above, but started after the change.
    await ingest.stats("g-canary-1", at(T + 1000, T + 4000, window(0, "guard", Array(20).fill(10), 5)));
    await ingest.stats("g-canary-2", at(T + 4000, T + 7000, window(0, "guard", [800, ...Array(19).fill(10)], 0)));
    await ingest.stats("g-stable-1", at(T + 1000, T + 4000, window(0, "guard", Array(50).fill(10), 50)));
    expect(await t.db.prisma.statsBucket.count({ where: { nodeId: "g-canary-1", bucketStart: new Date(T - 5000) } })).toBe(4);

    const before = await readGroupWindow(t.db, "g-canary", T - 10_000, T);
    expect(before).toMatchObject({ requests: 10, errors5xx: 0, windows: 1 });
    const after = await readGroupWindow(t.db, "g-canary", T, T + 10_000);
    // 40 requests, not 80: each request is in a route row and its cluster's row.
    expect(after).toMatchObject({ requests: 40, errors5xx: 5, windows: 2 });
    expect(after.histogram?.count).toBe(40);
    // p99 of the MERGED histogram (rank 40 of 40: the 800 ms request of node 2).
    const figures = figuresOf(after);
    expect(figures.errorRatio).toBeCloseTo(5 / 40, 6);
    expect(Math.abs(figures.p99Ms! - 800) / 800).toBeLessThan(0.05);
    expect(await readGroupWindow(t.db, "g-nobody", T - 10_000, T + 10_000)).toEqual({ requests: 0, errors5xx: 0, histogram: null, windows: 0 });
    // The other group has its own figures.
    expect((await readGroupWindow(t.db, "g-stable", T, T + 10_000)).requests).toBe(50);
  });

  it("refuses a histogram in another bucket layout, naming the entry", async () => {
    const ingest = createTelemetryIngest(t.db);
    const bad = window(Date.now(), "bad", [1], 0);
    bad.entries[0]!.latency = { bounds: [1, 2], counts: [1, 0, 0], sum: 1, count: 1 };
    await expect(ingest.stats("a", bad)).rejects.toThrow(TelemetryLayoutError);
    await expect(ingest.stats("a", bad)).rejects.toThrow(/entries\[0\]\.latency/);
  });

  it("rolls 10 s buckets into 1 min rows and reads long ranges from them without losing counts", async () => {
    const ingest = createTelemetryIngest(t.db);
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 3600_000;
    for (let m = 0; m < 3; m++) for (let s = 0; s < 6; s++) await ingest.stats("a", window(base + m * 60_000 + s * 10_000 + 9_000, "rolled", [20, 30, 40], 1));
    const { rows, watermark } = await rollupStats(t.db, new Date(base + 3 * 60_000));
    expect(rows).toBeGreaterThanOrEqual(6);
    expect(watermark!.getTime()).toBe(base + 3 * 60_000);
    const rolled = await t.db.prisma.statsBucket.findMany({ where: { resolution: ROLLUP_RESOLUTION_S, name: "rolled", kind: "route" } });
    expect(rolled.map((r) => r.requests)).toEqual([18, 18, 18]);
    // A 12 h range reads the rollups; a 1 h range the raw buckets.
    const long = await series(t.db, { kind: "route", name: "rolled", rangeS: 12 * 3600 });
    expect(long.stepS).toBeGreaterThanOrEqual(60);
    expect(long.total.requests).toBe(54);
    expect(long.total.statusClasses["5xx"]).toBe(18);
    // Running again rolls nothing twice.
    expect((await rollupStats(t.db, new Date(base + 3 * 60_000))).rows).toBe(0);
  });

  it("deletes raw buckets, rollups and spans past retention", async () => {
    const old = new Date(Date.now() - 30 * 3600_000);
    await t.db.prisma.statsBucket.create({ data: { resolution: RAW_RESOLUTION_S, bucketStart: old, nodeId: "x", kind: "route", name: "old", requests: 1, latency: [] } });
    const out = await pruneTelemetry(t.db, { rawHours: 24, rollupDays: 7, spanHours: 24 });
    expect(out.raw).toBeGreaterThanOrEqual(1);
    expect(await t.db.prisma.statsBucket.count({ where: { name: "old" } })).toBe(0);
    expect(await t.db.prisma.statsBucket.count({ where: { name: "rolled", resolution: ROLLUP_RESOLUTION_S } })).toBe(3);
  });

  it("lists traces by route, status, flag and minimum duration, and orders a waterfall", async () => {
    const ingest = createTelemetryIngest(t.db);
    const ns = BigInt(Date.now()) * 1_000_000n;
    const span = (traceId: string, spanId: string, parent: string | undefined, kind: "server" | "client", startOff: number, durMs: number, attrs: TSpan["attributes"]): TSpan => ({
      traceId, spanId, ...(parent ? { parentSpanId: parent } : {}), name: kind === "server" ? "GET api" : "router backend egress", kind,
      startUnixNano: String(ns + BigInt(startOff * 1e6)), endUnixNano: String(ns + BigInt((startOff + durMs) * 1e6)), attributes: attrs, status: (attrs["http.response.status_code"] as number) >= 500 ? "error" : "ok",
    });
    const T1 = "a".repeat(32);
    const T2 = "b".repeat(32);
    await ingest.spans("n1", {
      type: "spans",
      spans: [
        span(T1, "1".repeat(16), undefined, "server", 0, 120, { "switchyard.route": "api", "http.response.status_code": 503, "switchyard.response_flags": "UF" }),
        span(T1, "2".repeat(16), "1".repeat(16), "client", 1, 50, { "switchyard.cluster": "backend" }),
        span(T1, "3".repeat(16), "1".repeat(16), "client", 60, 50, { "switchyard.cluster": "backend" }),
        span(T2, "4".repeat(16), undefined, "server", 0, 5, { "switchyard.route": "other", "http.response.status_code": 200 }),
      ],
    });
    expect((await listTraces(t.db, { limit: 10, route: "api" })).map((x) => x.traceId)).toEqual([T1]);
    expect((await listTraces(t.db, { limit: 10, status: "5xx" })).map((x) => x.traceId)).toEqual([T1]);
    expect((await listTraces(t.db, { limit: 10, responseFlag: "UF" }))[0]?.spanCount).toBe(3);
    expect((await listTraces(t.db, { limit: 10, minMs: 100 })).map((x) => x.traceId)).toEqual([T1]);
    expect((await listTraces(t.db, { limit: 10, status: 200 })).map((x) => x.traceId)).toEqual([T2]);
    const w = waterfall(await getTraceSpans(t.db, T1));
    expect(w.spans.map((s) => [s.depth, Math.round(s.offsetMs)])).toEqual([[0, 0], [1, 1], [1, 60]]);
    expect(Math.round(w.durationMs)).toBe(120);
  });
});
