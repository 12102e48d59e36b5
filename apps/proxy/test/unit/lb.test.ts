import { describe, expect, it } from "vitest";
import { createLoadBalancer } from "../../src/upstream/lb.ts";

type E = { name: string; weight: number; activeRequests: number };
const ep = (name: string, weight = 1, activeRequests = 0): E => ({ name, weight, activeRequests });

function distribution(pick: () => E | null, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const e = pick();
    if (!e) throw new Error("no endpoint");
    out[e.name] = (out[e.name] ?? 0) + 1;
  }
  return out;
}

describe("roundRobin", () => {
  it("rotates evenly over equal weights", () => {
    const lb = createLoadBalancer("roundRobin", [ep("a"), ep("b"), ep("c")]);
    expect([1, 2, 3, 4, 5, 6].map(() => lb.pick()!.name)).toEqual(["a", "b", "c", "a", "b", "c"]);
  });

  it("honours weights exactly and interleaves them (smooth weighted)", () => {
    const lb = createLoadBalancer("roundRobin", [ep("a", 5), ep("b", 1), ep("c", 1)]);
    const seq = Array.from({ length: 7 }, () => lb.pick()!.name);
    expect(seq).toEqual(["a", "a", "b", "a", "c", "a", "a"]);
    expect(distribution(() => lb.pick(), 7000)).toEqual({ a: 5000, b: 1000, c: 1000 });
  });
});

describe("random", () => {
  it("follows the weights within tolerance", () => {
    const lb = createLoadBalancer("random", [ep("a", 1), ep("b", 3)]);
    const d = distribution(() => lb.pick(), 40_000);
    expect(d.b! / 40_000).toBeGreaterThan(0.73);
    expect(d.b! / 40_000).toBeLessThan(0.77);
  });
});

describe("leastRequest (power of two choices)", () => {
  it("prefers the less loaded endpoint", () => {
    const busy = ep("busy", 1, 50);
    const idle = ep("idle", 1, 0);
    const lb = createLoadBalancer("leastRequest", [busy, idle]);
    const d = distribution(() => lb.pick(), 10_000);
    // "busy" only wins when both candidates are "busy" (after the one re-draw): ~1/8.
    expect(d.idle! / 10_000).toBeGreaterThan(0.8);
  });

  it("spreads by weight when loads are equal", () => {
    const lb = createLoadBalancer("leastRequest", [ep("a", 1), ep("b", 1), ep("c", 2)]);
    const d = distribution(() => lb.pick(), 40_000);
    for (const k of ["a", "b", "c"]) expect(d[k]).toBeGreaterThan(4_000);
  });
});

describe("edge cases", () => {
  it("returns null with no endpoints and the only one with one", () => {
    expect(createLoadBalancer("roundRobin", []).pick()).toBeNull();
    const only = ep("only");
    expect(createLoadBalancer("leastRequest", [only]).pick()).toBe(only);
  });
});
