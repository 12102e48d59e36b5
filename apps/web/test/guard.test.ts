import { describe, expect, it } from "vitest";
import { mergeHistograms, quantileOf } from "@switchyard/db";
import { evaluateGuard, figuresOf, ZGuardThresholds } from "../src/server/rollout/guard.ts";

const bounds = [10, 50, 100, 500];
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
    const fast = { bounds, counts: [990, 0, 0, 0, 0], sum: 990, count: 990 };
    const slow = { bounds, counts: [0, 0, 0, 10, 0], sum: 5000, count: 10 };
    const merged = mergeHistograms(fast, slow);
    expect(quantileOf(merged, 0.99)).toBe(10);
    expect(quantileOf(merged, 0.995)).toBe(500);
    expect(figuresOf({ requests: 1000, errors5xx: 10, histogram: merged })).toEqual({ requests: 1000, errors5xx: 10, errorRatio: 0.01, p99Ms: 10 });
    expect(quantileOf(null, 0.99)).toBeNull();
  });
});
