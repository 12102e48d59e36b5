/**
 * Load balancers over a fixed endpoint list (one per cluster per config version).
 * Weights are honoured by every policy. Each `pick()` is O(n) at worst with n the number
 * of endpoints of one cluster, with a fast path for the common equal-weights case.
 */
import { Maglev, RingHash } from "./lb-hash.ts";

export type TBalanced = { readonly weight: number; readonly activeRequests: number };

/**
 * `hash` is the request's hash-policy value (ringHash / maglev); the other policies ignore
 * it. When a hashing policy gets no hash (no hashPolicy, or nothing in the request to hash)
 * it uses a random one, as Envoy does.
 */
export type TLoadBalancer<E extends TBalanced> = { pick(hash?: number): E | null };

export type TLbPolicy = "roundRobin" | "random" | "leastRequest" | "ringHash" | "maglev";

export type TLbOptions<E> = {
  /** Stable identity of an endpoint for the hashing policies (default: its index). */
  keyOf?: (e: E) => string;
  /** ringHash entries; default 1024. */
  minRingSize?: number;
};

export function createLoadBalancer<E extends TBalanced>(
  policy: TLbPolicy,
  endpoints: readonly E[],
  random: () => number = Math.random,
  opts: TLbOptions<E> = {},
): TLoadBalancer<E> {
  if (endpoints.length === 0) return { pick: () => null };
  if (endpoints.length === 1) {
    const only = endpoints[0] as E;
    return { pick: () => only };
  }
  const keyOf = opts.keyOf ?? ((e: E) => String(endpoints.indexOf(e)));
  switch (policy) {
    case "roundRobin":
      return new RoundRobin(endpoints);
    case "random":
      return new WeightedRandom(endpoints, random);
    case "leastRequest":
      return new LeastRequest(endpoints, random);
    case "ringHash": {
      const ring = new RingHash(endpoints, keyOf, opts.minRingSize ?? 1024);
      return { pick: (hash) => ring.pick(hash ?? (random() * 0x100000000) >>> 0) };
    }
    case "maglev": {
      const table = new Maglev(endpoints, keyOf);
      return { pick: (hash) => table.pick(hash ?? (random() * 0x100000000) >>> 0) };
    }
  }
}

const allEqual = (endpoints: readonly TBalanced[]) => endpoints.every((e) => e.weight === (endpoints[0] as TBalanced).weight);

/**
 * Smooth weighted round robin (nginx): every pick adds each weight to its current value,
 * takes the largest and subtracts the total, so weights 5:1:1 give a a b a c a a rather
 * than a a a a a b c. Plain rotation when all weights are equal.
 */
class RoundRobin<E extends TBalanced> implements TLoadBalancer<E> {
  readonly #endpoints: readonly E[];
  readonly #equal: boolean;
  readonly #current: number[];
  readonly #total: number;
  #next = 0;

  constructor(endpoints: readonly E[]) {
    this.#endpoints = endpoints;
    this.#equal = allEqual(endpoints);
    this.#current = endpoints.map(() => 0);
    this.#total = endpoints.reduce((s, e) => s + e.weight, 0);
  }

  pick(): E {
    const eps = this.#endpoints;
    if (this.#equal) {
      const e = eps[this.#next] as E;
      this.#next = (this.#next + 1) % eps.length;
      return e;
    }
    let best = 0;
    for (let i = 0; i < eps.length; i++) {
      const cur = (this.#current[i] as number) + (eps[i] as E).weight;
      this.#current[i] = cur;
      if (cur > (this.#current[best] as number)) best = i;
    }
    this.#current[best] = (this.#current[best] as number) - this.#total;
    return eps[best] as E;
  }
}

/** Weighted random with a cumulative table and binary search. */
class WeightedRandom<E extends TBalanced> implements TLoadBalancer<E> {
  readonly #endpoints: readonly E[];
  readonly #cumulative: number[];
  readonly #total: number;
  readonly #random: () => number;

  constructor(endpoints: readonly E[], random: () => number) {
    this.#endpoints = endpoints;
    let sum = 0;
    this.#cumulative = endpoints.map((e) => (sum += e.weight));
    this.#total = sum;
    this.#random = random;
  }

  pick(): E {
    const r = this.#random() * this.#total;
    let lo = 0;
    let hi = this.#cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r < (this.#cumulative[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    return this.#endpoints[lo] as E;
  }
}

/**
 * Power of two choices: two weighted random picks, keep the one with fewer active
 * requests (the first on a tie). Cheap, and avoids herding onto one "least" endpoint
 * the way a full scan does when many requests start at once.
 */
class LeastRequest<E extends TBalanced> implements TLoadBalancer<E> {
  readonly #random: WeightedRandom<E>;

  constructor(endpoints: readonly E[], random: () => number) {
    this.#random = new WeightedRandom(endpoints, random);
  }

  pick(): E {
    const a = this.#random.pick();
    let b = this.#random.pick();
    // One retry for a distinct second candidate keeps the choice meaningful with 2 endpoints.
    if (b === a) b = this.#random.pick();
    return b.activeRequests < a.activeRequests ? b : a;
  }
}
