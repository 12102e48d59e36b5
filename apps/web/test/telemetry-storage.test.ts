/**
 * Telemetry storage and reads on real PostgreSQL: windows from two nodes merge by adding
 * histograms (the p99 of the merge, not an average of p99s), rollups keep long ranges
 * exact, retention deletes what is past its age, traces filter and form a waterfall.
 */
import { createTestDatabase, type TTestDatabase } from "@switchyard/db/testing";
import { LATENCY_BOUNDS_MS, LATENCY_LAYOUT_ID, ZStatsMessage, emptyHistogram, encodeRuns, latencyBucket, type TStatsMessage, type TSpan } from "@switchyard/config-model";
import { RAW_RESOLUTION_S, ROLLUP_RESOLUTION_S, pruneTelemetry, readGroupWindow, rollupStats, listTraces, getTraceSpans } from "@switchyard/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTelemetryIngest } from "../src/server/telemetry/ingest.ts";
import { StatsAggregator } from "../src/server/telemetry/stats-aggregator.ts";
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

const node = (nodeId: string, group = "default") => ({ nodeId, group });

/** One node window in the compact wire form proxies send: one route row and its cluster's row. */
function window(end: number, route: string, latencies: number[], fiveXx: number, cluster = "backend"): TStatsMessage {
  const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  for (const ms of latencies) counts[latencyBucket(ms)]!++;
  const sum = latencies.reduce((a, b) => a + b, 0);
  const n = latencies.length;
  const tail = [n, 0, n - fiveXx, 0, 0, fiveXx, 0, 10 * n, sum, encodeRuns(counts)];
  return ZStatsMessage.parse({ type: "stats", windowStart: end - 5000, windowEnd: end, layout: LATENCY_LAYOUT_ID, routes: [["public", route, cluster, ...tail]], clusters: [[cluster, ...tail]] });
}

describe("telemetry storage", () => {
  it("merges two nodes' histograms: p99 comes from the merged counts", async () => {
    const ingest = createTelemetryIngest(t.db);
    const now = Date.now();
    // node a: 99 fast requests; node b: 1 request at 800 ms and 9 errors at 5 ms.
    expect(ingest.stats(node("a"), window(now - 1000, "merge", Array(99).fill(10), 0))).toEqual({ ok: true });
    expect(ingest.stats(node("b"), window(now - 1000, "merge", [800, ...Array(9).fill(5)], 9))).toEqual({ ok: true });
    await ingest.close();
    const [r] = (await summarize(t.db, "route", 60, now)).filter((x) => x.name === "merge");
    expect(r).toMatchObject({ requests: 109, statusClasses: { "2xx": 100, "5xx": 9 } });
    expect(r!.errorRatio).toBeCloseTo(9 / 109, 6);
    // Nearest rank 108 of 109 is a 10 ms request; averaging per-node p99s would say ~405 ms.
    expect(Math.abs(r!.p99Ms! - 10) / 10).toBeLessThan(0.05);
    expect(Math.abs(r!.p50Ms! - 10) / 10).toBeLessThan(0.05);
    const clusters = await summarize(t.db, "cluster", 60, now);
    expect(clusters.find((c) => c.name === "backend")?.requests).toBe(109);
  });

  it("stores rows per route, not per node x route: 200 nodes' windows of one bucket make one row per route", async () => {
    const ingest = createTelemetryIngest(t.db);
    const end = Math.floor(Date.now() / 10_000) * 10_000 - 20_000 + 9_000;
    for (let n = 0; n < 200; n++) for (let r = 0; r < 5; r++) expect(ingest.stats(node(`fleet-${n}`), window(end, `fleet-route-${r}`, [5, 6], 0, "fleet-cluster")).ok).toBe(true);
    await ingest.close();
    const bucketStart = new Date(end - 9_000);
    const rows = await t.db.prisma.statsBucket.findMany({ where: { bucketStart, OR: [{ name: { startsWith: "fleet-" } }, { nodeId: { startsWith: "fleet-" } }] } });
    const byKind = (k: string) => rows.filter((r) => r.kind === k);
    expect(byKind("route")).toHaveLength(5);
    expect(byKind("route").every((r) => r.requests === 400 && r.windows === 200 && r.nodeId === "")).toBe(true);
    expect(byKind("cluster")).toHaveLength(1);
    expect(byKind("cluster")[0]).toMatchObject({ requests: 2000, windows: 1000 });
    // The topology's node edges: one row per node and listener, its routes summed.
    expect(byKind("node")).toHaveLength(200);
    expect(byKind("node").every((r) => r.requests === 10 && r.listener === "public")).toBe(true);
  });

  it("still stores the verbose form older proxies send (bounds with every histogram)", async () => {
    const ingest = createTelemetryIngest(t.db);
    const end = Date.now() - 1000;
    const h = emptyHistogram();
    h.counts[latencyBucket(12)] = 3;
    h.sum = 36;
    h.count = 3;
    const entry = { requests: 3, codeClasses: { "1xx": 0, "2xx": 3, "3xx": 0, "4xx": 0, "5xx": 0 }, bytesIn: 0, bytesOut: 0, latency: h };
    const verbose = ZStatsMessage.parse({ type: "stats", windowStart: end - 5000, windowEnd: end, entries: [{ kind: "route", name: "verbose", listener: "public", cluster: "backend", ...entry }] });
    expect(ingest.stats(node("old-proxy"), verbose)).toEqual({ ok: true });
    await ingest.close();
    const [r] = (await summarize(t.db, "route", 60)).filter((x) => x.name === "verbose");
    expect(r).toMatchObject({ requests: 3 });
    expect(Math.abs(r!.p50Ms! - 12) / 12).toBeLessThan(0.05);
  });

  it("gives the SLO guard a group's windows by their start, route rows only, other groups left out", async () => {
    const ingest = createTelemetryIngest(t.db);
    // The change happens at T, in the middle of a 10 s bucket [T - 5 s, T + 5 s).
    const T = Math.floor(Date.now() / 10_000) * 10_000 - 60_000 + 5_000;
    const at = (start: number, end: number, m: TStatsMessage): TStatsMessage => ({ ...m, windowStart: start, windowEnd: end });
    ingest.stats(node("g-canary-1", "g-canary"), at(T - 4000, T - 1000, window(0, "guard", Array(10).fill(10), 0)));
    // Same bucket as the window above, but started after the change.
    ingest.stats(node("g-canary-1", "g-canary"), at(T + 1000, T + 4000, window(0, "guard", Array(20).fill(10), 5)));
    ingest.stats(node("g-canary-2", "g-canary"), at(T + 4000, T + 7000, window(0, "guard", [800, ...Array(19).fill(10)], 0)));
    ingest.stats(node("g-stable-1", "g-stable"), at(T + 1000, T + 4000, window(0, "guard", Array(50).fill(10), 50)));
    await ingest.close();
    // One route row for the three windows of the bucket, whichever node and group sent them.
    const routeRows = await t.db.prisma.statsBucket.findMany({ where: { kind: "route", name: "guard", bucketStart: new Date(T - 5000) } });
    expect(routeRows.map((r) => r.requests)).toEqual([80]);

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

  it("refuses a histogram in another bucket layout, naming the row, and stores nothing of it", async () => {
    const ingest = createTelemetryIngest(t.db);
    const bad = window(Date.now(), "bad", [1], 0);
    expect(ingest.stats(node("a"), { ...bad, layout: "log1.1:1-1000ms" })).toMatchObject({ ok: false, reason: "invalid", error: expect.stringMatching(/^layout: /) });
    const row = bad.routes[0]!;
    expect(ingest.stats(node("a"), { ...bad, routes: [[...row.slice(0, 3), 2, ...row.slice(4)] as typeof row] })).toMatchObject({ ok: false, error: expect.stringMatching(/^routes\[0\]: /) });
    await ingest.close();
    expect(await t.db.prisma.statsBucket.count({ where: { name: "bad" } })).toBe(0);
  });

  it("bounds what waits for the database: past maxKeys a window is refused and nodes are asked for longer windows", async () => {
    const ingest = createTelemetryIngest(t.db, { maxKeys: 6, flushMs: 3_600_000 });
    const end = Date.now() - 1000;
    expect(ingest.statsPace()).toBe(0);
    // Keys: the first window adds 4 (route, cluster, node, group), the second 2 (its route and node): 6 of 6 are taken.
    for (let i = 0; i < 2; i++) expect(ingest.stats(node(`bound-${i}`), window(end, `bound-${i}`, [5], 0))).toEqual({ ok: true });
    expect(ingest.stats(node("bound-2"), window(end, "bound-2", [5], 0))).toEqual({ ok: false, reason: "overloaded" });
    expect(ingest.statsPace()).toBeGreaterThan(5_000);
    // Once stored, the bound is free again and the pace goes back to the nodes' own.
    await ingest.flush();
    expect(ingest.statsPace()).toBe(0);
    expect(ingest.stats(node("bound-2"), window(end, "bound-2", [5], 0))).toEqual({ ok: true });
    await ingest.close();
    expect(await t.db.prisma.statsBucket.count({ where: { kind: "route", name: { startsWith: "bound-" } } })).toBe(3);
  });

  it("keeps a batch the database refused and stores it with the next flush", async () => {
    let fail = true;
    const stored: number[] = [];
    const agg = new StatsAggregator({
      write: async (rows) => {
        if (fail) throw new Error("database unavailable");
        stored.push(...rows.filter((r) => r.kind === "route").map((r) => r.requests));
      },
    });
    const end = Date.now();
    const samples = (n: number) => [{ kind: "route" as const, name: "r", listener: "l", cluster: "c", requests: n, classes: [0, n, 0, 0, 0] as [number, number, number, number, number], bytesIn: 0, bytesOut: 0, latencySum: n, counts: [[10, n]] as [number, number][] }];
    agg.add(node("x"), { windowStart: end - 5000, windowEnd: end }, samples(3));
    await expect(agg.flush()).rejects.toThrow("database unavailable");
    agg.add(node("y"), { windowStart: end - 5000, windowEnd: end }, samples(4));
    fail = false;
    await agg.flush();
    expect(stored).toEqual([7]);
  });

  it("rolls 10 s buckets into 1 min rows and reads long ranges from them without losing counts", async () => {
    const ingest = createTelemetryIngest(t.db);
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 3600_000;
    for (let m = 0; m < 3; m++) for (let s = 0; s < 6; s++) ingest.stats(node("a"), window(base + m * 60_000 + s * 10_000 + 9_000, "rolled", [20, 30, 40], 1));
    await ingest.close();
    const { rows, watermark } = await rollupStats(t.db, new Date(base + 3 * 60_000));
    expect(rows).toBeGreaterThanOrEqual(6);
    expect(watermark!.getTime()).toBe(base + 3 * 60_000);
    const rolled = await t.db.prisma.statsBucket.findMany({ where: { resolution: ROLLUP_RESOLUTION_S, name: "rolled", kind: "route" }, orderBy: { bucketStart: "asc" } });
    expect(rolled.map((r) => r.requests)).toEqual([18, 18, 18]);
    expect(rolled.map((r) => r.windows)).toEqual([6, 6, 6]);
    // A 12 h range reads the rollups; a 1 h range the raw buckets.
    const long = await series(t.db, { kind: "route", name: "rolled", rangeS: 12 * 3600 });
    expect(long.stepS).toBeGreaterThanOrEqual(60);
    expect(long.total.requests).toBe(54);
    expect(long.total.statusClasses["5xx"]).toBe(18);
    expect(Math.abs(long.total.p50Ms! - 30) / 30).toBeLessThan(0.05);
    // Running again rolls nothing twice.
    expect((await rollupStats(t.db, new Date(base + 3 * 60_000))).rows).toBe(0);
  });

  it("deletes raw buckets, rollups and spans past retention, raw ones only once rolled up", async () => {
    const old = new Date(Date.now() - 30 * 3600_000);
    await t.db.prisma.statsBucket.create({ data: { resolution: RAW_RESOLUTION_S, bucketStart: old, nodeId: "x", kind: "route", name: "old", requests: 1, latency: [] } });
    const out = await pruneTelemetry(t.db, { rawHours: 24, rollupDays: 7, spanHours: 24 });
    expect(out.raw).toBeGreaterThanOrEqual(1);
    expect(await t.db.prisma.statsBucket.count({ where: { name: "old" } })).toBe(0);
    expect(await t.db.prisma.statsBucket.count({ where: { name: "rolled", resolution: ROLLUP_RESOLUTION_S } })).toBe(3);
    // Past raw retention but after the rollup watermark: kept until the rollup has read it.
    const notRolled = new Date(Date.now() - 2 * 3600_000);
    await t.db.prisma.statsBucket.create({ data: { resolution: RAW_RESOLUTION_S, bucketStart: notRolled, nodeId: "", kind: "route", name: "not-rolled", requests: 1, latency: [] } });
    await pruneTelemetry(t.db, { rawHours: 1, rollupDays: 7, spanHours: 24 });
    expect(await t.db.prisma.statsBucket.count({ where: { name: "not-rolled" } })).toBe(1);
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
