import { describe, expect, it } from "vitest";
import { Backoff, backoffCeilingMs, computeBackoffMs } from "../../src/control-plane/backoff.ts";

describe("control-plane back-off", () => {
  it("doubles the ceiling from 500 ms and stops at the 4 s cap (a restarted console is found within 5 s)", () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffCeilingMs(n))).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((n) => backoffCeilingMs(n, 500, 30_000))).toEqual([
      500, 1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    // Far past the cap 2^n overflows; the ceiling must still be the cap, not NaN/Infinity.
    expect(backoffCeilingMs(5000)).toBe(4000);
  });

  it("draws full jitter: uniform in [0, ceiling)", () => {
    expect(computeBackoffMs(3, { random: () => 0 })).toBe(0);
    expect(computeBackoffMs(3, { random: () => 0.5 })).toBe(2000);
    expect(computeBackoffMs(3, { random: () => 0.999999 })).toBe(3999);
    expect(computeBackoffMs(2, { baseMs: 10, capMs: 25, random: () => 0.5 })).toBe(12);
    for (let i = 0; i < 1000; i++) {
      const d = computeBackoffMs(4);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(4000);
    }
  });

  it("spreads delays over the whole range rather than clustering at the ceiling", () => {
    const delays = Array.from({ length: 2000 }, () => computeBackoffMs(10));
    const low = delays.filter((d) => d < 2000).length;
    // Half the range should hold about half the draws; 40-60 % is far outside chance failure.
    expect(low / delays.length).toBeGreaterThan(0.4);
    expect(low / delays.length).toBeLessThan(0.6);
  });

  it("raises the ceiling per attempt and resets after a healthy connection", () => {
    const b = new Backoff({ random: () => 0.5 });
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([250, 500, 1000, 2000]);
    expect(b.attempt).toBe(4);
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(250);
    for (let i = 0; i < 20; i++) b.next();
    expect(b.next()).toBe(2000);
  });
});
