import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LATENCY_BOUNDS_MS, LATENCY_LAYOUT_ID, latencyBucket } from "../src/histogram.ts";
import { ZStatsMessage, decodeMessage, type TStatsMessage } from "../src/protocol.ts";
import { decodeRuns, encodeRuns, statsSamples } from "../src/stats-wire.ts";

const SLOTS = LATENCY_BOUNDS_MS.length + 1;

function dense(pairs: [number, number][]): number[] {
  const out = new Array<number>(SLOTS).fill(0);
  for (const [i, c] of pairs) out[i] = c;
  return out;
}

/** A verbose (pre-compact) frame with one route and one cluster row, as older proxies send. */
function verboseFrame(latencies: number[]): TStatsMessage {
  const counts = new Array<number>(SLOTS).fill(0);
  for (const ms of latencies) counts[latencyBucket(ms)]!++;
  const sum = latencies.reduce((a, b) => a + b, 0);
  const entry = { requests: latencies.length, codeClasses: { "1xx": 0, "2xx": latencies.length - 1, "3xx": 0, "4xx": 0, "5xx": 1 }, bytesIn: 10, bytesOut: 20, latency: { bounds: [...LATENCY_BOUNDS_MS], counts, sum, count: latencies.length } };
  return decodeMessage(ZStatsMessage, JSON.stringify({ type: "stats", windowStart: 1, windowEnd: 2, entries: [{ kind: "route", name: "r", listener: "l", cluster: "c", ...entry }, { kind: "cluster", name: "c", ...entry }] })) as TStatsMessage;
}

function compactOf(v: TStatsMessage): TStatsMessage {
  const [r, c] = v.entries as [TStatsMessage["entries"][number], TStatsMessage["entries"][number]];
  const tail = (e: typeof r) => [e.requests, 0, e.requests - 1, 0, 0, 1, e.bytesIn, e.bytesOut, e.latency.sum, encodeRuns(e.latency.counts)] as const;
  return decodeMessage(ZStatsMessage, JSON.stringify({ type: "stats", windowStart: 1, windowEnd: 2, layout: LATENCY_LAYOUT_ID, routes: [["l", "r", "c", ...tail(r)]], clusters: [["c", ...tail(c)]] })) as TStatsMessage;
}

describe("stats frames on the wire", () => {
  it("runs round-trip any histogram of the layout", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: SLOTS - 1 }), fc.integer({ min: 1, max: 1e9 })), { maxLength: 60 }), (raw) => {
        const counts = dense(raw);
        const back = decodeRuns(encodeRuns(counts));
        expect(back).not.toBeNull();
        expect(dense(back!)).toEqual(counts);
      }),
    );
  });

  it("refuses runs past the last bucket", () => {
    expect(decodeRuns([-SLOTS, 1])).toBeNull();
    expect(decodeRuns([-(SLOTS - 1), 1])).toEqual([[SLOTS - 1, 1]]);
  });

  it("decodes the compact and the verbose form to the same samples", () => {
    const latencies = Array.from({ length: 200 }, (_, i) => 2 + (i % 37) * 0.9);
    const verbose = verboseFrame(latencies);
    const a = statsSamples(verbose);
    const b = statsSamples(compactOf(verbose));
    expect("samples" in a && "samples" in b).toBe(true);
    if (!("samples" in a) || !("samples" in b)) return;
    expect(b.samples).toEqual(a.samples);
    expect(a.samples.map((s) => [s.kind, s.name, s.listener, s.cluster])).toEqual([["route", "r", "l", "c"], ["cluster", "c", "", "c"]]);
  });

  it("is at least 10x smaller than the verbose frame for the bench's 20 routes + 2 clusters", () => {
    // The bench's traffic: log-normal latencies around 8 ms (sigma 0.6), 50 per route per window.
    const draw = (i: number) => Math.exp(Math.log(8) + 0.6 * Math.sqrt(-2 * Math.log((i * 7919 % 997 + 1) / 998)) * Math.cos((2 * Math.PI * (i * 104729 % 991)) / 991));
    const verbose = verboseFrame(Array.from({ length: 50 }, (_, i) => draw(i)));
    const compact = compactOf(verbose);
    const scale = (m: TStatsMessage, key: "entries" | "routes" | "clusters", n: number) => ({ ...m, [key]: Array.from({ length: n }, () => m[key][0]) });
    const v = JSON.stringify({ ...verbose, entries: [...scale(verbose, "entries", 20).entries, ...scale(verbose, "entries", 2).entries] });
    const c = JSON.stringify(scale(scale(compact, "routes", 20), "clusters", 2));
    expect(Buffer.byteLength(v) / Buffer.byteLength(c)).toBeGreaterThanOrEqual(10);
  });

  it("refuses another layout, runs past the layout, and histograms that disagree with the requests", () => {
    const compact = compactOf(verboseFrame([5, 6, 7]));
    expect(statsSamples({ ...compact, layout: "log1.1:1-1000ms" })).toEqual({ error: expect.stringMatching(/^layout: /) });
    const row = compact.routes[0]!;
    expect(statsSamples({ ...compact, routes: [[...row.slice(0, 12), [-SLOTS, 3]] as typeof row] })).toEqual({ error: expect.stringMatching(/^routes\[0\]: latency runs go past/) });
    expect(statsSamples({ ...compact, routes: [[...row.slice(0, 3), 4, ...row.slice(4)] as typeof row] })).toEqual({ error: expect.stringMatching(/counts 3 requests, the row 4/) });
    const verbose = verboseFrame([5]);
    verbose.entries[0]!.latency = { bounds: [1, 2], counts: [1, 0, 0], sum: 1, count: 1 };
    expect(statsSamples(verbose)).toEqual({ error: expect.stringMatching(/^entries\[0\]\.latency/) });
  });
});
