import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LATENCY_BOUNDS_MS, emptyHistogram, hasStandardLayout, latencyBucket, mergeCountsInto, percentileMs } from "../src/histogram.ts";

describe("latency histogram layout", () => {
  it("puts every value in the bucket whose bounds hold it", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 200_000, noNaN: true }), (ms) => {
        const i = latencyBucket(ms);
        if (i < LATENCY_BOUNDS_MS.length) expect(ms).toBeLessThanOrEqual(LATENCY_BOUNDS_MS[i]!);
        else expect(ms).toBeGreaterThan(LATENCY_BOUNDS_MS.at(-1)!);
        if (i > 0 && i < LATENCY_BOUNDS_MS.length) expect(ms).toBeGreaterThan(LATENCY_BOUNDS_MS[i - 1]!);
      }),
    );
  });

  it("estimates any percentile within 5 % of the exact value", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.2, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 400 }), fc.constantFrom(0.5, 0.95, 0.99), (values, q) => {
        const h = emptyHistogram();
        for (const v of values) h.counts[latencyBucket(v)]!++;
        const sorted = [...values].sort((a, b) => a - b);
        const exact = sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
        const est = percentileMs(h.counts, q)!;
        expect(Math.abs(est - exact) / exact).toBeLessThanOrEqual(0.05);
      }),
    );
  });

  it("merges node histograms by adding counts: the percentile of the merge is the percentile of all values", () => {
    const a = emptyHistogram();
    const b = emptyHistogram();
    for (let i = 0; i < 90; i++) a.counts[latencyBucket(10)]!++;
    for (let i = 0; i < 10; i++) b.counts[latencyBucket(500)]!++;
    const merged = emptyHistogram().counts;
    mergeCountsInto(merged, a.counts);
    mergeCountsInto(merged, b.counts);
    // Averaging the nodes' p95 would say ~255 ms; the merged histogram says 500 ms.
    expect(Math.abs(percentileMs(merged, 0.95)! - 500) / 500).toBeLessThan(0.05);
    expect(Math.abs(percentileMs(merged, 0.5)! - 10) / 10).toBeLessThan(0.05);
    expect(percentileMs(emptyHistogram().counts, 0.5)).toBeNull();
    expect(hasStandardLayout(a)).toBe(true);
    expect(hasStandardLayout({ bounds: [1, 2], counts: [0, 0, 0] })).toBe(false);
  });
});
