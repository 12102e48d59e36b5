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

describe("ringHash and maglev", () => {
  const keyOf = (e: E) => e.name;
  const hashes = Array.from({ length: 20_000 }, (_, i) => Math.imul(i + 1, 2654435761) >>> 0);

  for (const policy of ["ringHash", "maglev"] as const) {
    it(`${policy}: the same hash always picks the same endpoint`, () => {
      const lb = createLoadBalancer(policy, [ep("a"), ep("b"), ep("c")], Math.random, { keyOf });
      for (const h of hashes.slice(0, 200)) expect(lb.pick(h)).toBe(lb.pick(h));
    });

    it(`${policy}: honours weights`, () => {
      const lb = createLoadBalancer(policy, [ep("a", 1), ep("b", 3)], Math.random, { keyOf, minRingSize: 4096 });
      const d: Record<string, number> = {};
      for (const h of hashes) d[lb.pick(h)!.name] = (d[lb.pick(h)!.name] ?? 0) + 1;
      expect(d.b! / hashes.length).toBeGreaterThan(0.68);
      expect(d.b! / hashes.length).toBeLessThan(0.82);
    });

    it(`${policy}: removing one endpoint moves only the keys it owned (consistency)`, () => {
      const all = [ep("a"), ep("b"), ep("c"), ep("d")];
      const before = createLoadBalancer(policy, all, Math.random, { keyOf });
      const after = createLoadBalancer(policy, all.filter((e) => e.name !== "d"), Math.random, { keyOf });
      let moved = 0;
      for (const h of hashes) {
        const b = before.pick(h)!.name;
        if (b !== "d" && after.pick(h)!.name !== b) moved++;
      }
      // Both rebuild over the remaining endpoints, so a few keys of survivors move (ring hash:
      // each survivor gets more points, as Envoy's min_ring_size scaling does); a plain
      // modulo over endpoints would move about 3/4 of them.
      expect(moved / hashes.length).toBeLessThan(0.15);
    });
  }
});
