import { describe, expect, it } from "vitest";
import { emptyHistogram, latencyBucket, mergeCountsInto, percentileMs } from "@switchyard/config-model";
import { evaluateGuard, figuresOf, ZGuardThresholds } from "../src/server/rollout/guard.ts";

const guard = ZGuardThresholds.parse({ windowMs: 10_000, maxErrorRatioIncrease: 0.05, maxP99IncreaseMs: 100, minRequests: 20 });

describe("SLO guard verdicts", () => {
  it("concludes nothing below minRequests", () => {
    expect(evaluateGuard(guard, null, { requests: 19, errors5xx: 19, errorRatio: 1, p99Ms: 10 }).verdict).toBe("insufficient");
  });

  it("trips on a 5xx ratio above the baseline by more than the threshold, not at it", () => {
    const baseline = { requests: 1000, errors5xx: 20, errorRatio: 0.02, p99Ms: 50 };
    expect(evaluateGuard(guard, baseline, { requests: 100, errors5xx: 7, errorRatio: 0.07, p99Ms: 50 }).verdict).toBe("ok");
    const v = evaluateGuard(guard, baseline, { requests: 100, errors5xx: 8, errorRatio: 0.08, p99Ms: 50 });
    expect(v.verdict).toBe("tripped");
    expect(v.reasons[0]).toContain("5xx ratio 8.0% (8/100) exceeds the baseline 2.0%");
  });

  it("trips on p99 above the baseline's by more than maxP99IncreaseMs; null disables it", () => {
    const baseline = { requests: 1000, errors5xx: 0, errorRatio: 0, p99Ms: 50 };
    expect(evaluateGuard(guard, baseline, { requests: 100, errors5xx: 0, errorRatio: 0, p99Ms: 100 }).verdict).toBe("ok");
    expect(evaluateGuard(guard, baseline, { requests: 100, errors5xx: 0, errorRatio: 0, p99Ms: 500 }).reasons[0]).toContain("p99 500 ms exceeds the baseline 50 ms");
    const noLatency = ZGuardThresholds.parse({});
    expect(evaluateGuard(noLatency, baseline, { requests: 100, errors5xx: 0, errorRatio: 0, p99Ms: 5000 }).verdict).toBe("ok");
  });

  it("computes p99 from merged histograms, never by averaging percentiles", () => {
    // 990 fast requests on one node, 10 slow ones on another: p99 is fast, p99.5 slow.
    const fast = emptyHistogram();
    fast.counts[latencyBucket(10)] = 990;
    const slow = emptyHistogram();
    slow.counts[latencyBucket(500)] = 10;
    const counts = [...fast.counts];
    mergeCountsInto(counts, slow.counts);
    const merged = { bounds: fast.bounds, counts, sum: 990 * 10 + 10 * 500, count: 1000 };
    const p99 = figuresOf({ requests: 1000, errors5xx: 10, histogram: merged }).p99Ms!;
    expect(Math.abs(p99 - 10) / 10).toBeLessThan(0.05);
    expect(Math.abs(percentileMs(counts, 0.995)! - 500) / 500).toBeLessThan(0.05);
    expect(figuresOf({ requests: 1000, errors5xx: 10, histogram: merged })).toMatchObject({ requests: 1000, errors5xx: 10, errorRatio: 0.01 });
    expect(figuresOf({ requests: 0, errors5xx: 0, histogram: null }).p99Ms).toBeNull();
  });
});
