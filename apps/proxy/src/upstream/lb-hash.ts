/**
 * Consistent-hashing balancers: ring hash (Ketama-style) and Maglev. Both are built once
 * per set of available endpoints (a config version, or a health/ejection change) and
 * answer `pick(hash)` with a binary search (ring) or one table read (Maglev). Weights
 * are honoured: an endpoint's share of ring entries / table slots is proportional to it.
 */

/** 32-bit FNV-1a followed by murmur3's fmix32 finaliser (FNV alone clusters short keys). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export type THashed = { readonly weight: number };

/** Ring hash: every endpoint owns `weight / total * ringSize` points; a hash goes to the next point clockwise. */
export class RingHash<E extends THashed> {
  readonly #points: Uint32Array;
  readonly #owners: E[];

  constructor(endpoints: readonly E[], keyOf: (e: E) => string, minRingSize: number) {
    const total = endpoints.reduce((s, e) => s + e.weight, 0);
    // At least one point per endpoint, so a tiny weight still gets traffic.
    const counts = endpoints.map((e) => Math.max(1, Math.ceil((e.weight / total) * minRingSize)));
    const n = counts.reduce((s, c) => s + c, 0);
    const hashes = new Uint32Array(n);
    const owner = new Uint32Array(n);
    let k = 0;
    endpoints.forEach((e, i) => {
      const key = keyOf(e);
      for (let j = 0; j < (counts[i] as number); j++) {
        hashes[k] = hashString(`${key}_${j}`);
        owner[k++] = i;
      }
    });
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (hashes[a] as number) - (hashes[b] as number));
    this.#points = Uint32Array.from(order, (i) => hashes[i] as number);
    this.#owners = order.map((i) => endpoints[owner[i] as number] as E);
  }

  pick(hash: number): E {
    const pts = this.#points;
    let lo = 0;
    let hi = pts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((pts[mid] as number) < hash) lo = mid + 1;
      else hi = mid;
    }
    return this.#owners[lo === pts.length ? 0 : lo] as E;
  }
}

/** Envoy's default Maglev table size (a prime). */
export const MAGLEV_TABLE_SIZE = 65_537;

/**
 * Maglev (Google, NSDI '16): each endpoint walks its own permutation of the table and
 * claims the first free slot on its turn. Weighted as Envoy does: an endpoint takes a turn
 * each time its accumulated weight/maxWeight credit reaches 1, so slots follow weights.
 */
export class Maglev<E extends THashed> {
  readonly #table: Uint32Array;
  readonly #endpoints: readonly E[];

  constructor(endpoints: readonly E[], keyOf: (e: E) => string, size = MAGLEV_TABLE_SIZE) {
    this.#endpoints = endpoints;
    const m = size;
    const table = new Uint32Array(m).fill(0xffffffff);
    const offset = endpoints.map((e) => hashString(`${keyOf(e)}#offset`) % m);
    const skip = endpoints.map((e) => (hashString(`${keyOf(e)}#skip`) % (m - 1)) + 1);
    const next = endpoints.map(() => 0);
    const maxWeight = Math.max(...endpoints.map((e) => e.weight));
    const credit = endpoints.map(() => 0);
    let filled = 0;
    while (filled < m) {
      for (let i = 0; i < endpoints.length && filled < m; i++) {
        credit[i] = (credit[i] as number) + (endpoints[i] as E).weight / maxWeight;
        if ((credit[i] as number) < 1) continue;
        credit[i] = (credit[i] as number) - 1;
        // Walk this endpoint's permutation to its next free slot.
        for (;;) {
          const slot = ((offset[i] as number) + (next[i] as number) * (skip[i] as number)) % m;
          next[i] = (next[i] as number) + 1;
          if (table[slot] === 0xffffffff) {
            table[slot] = i;
            filled++;
            break;
          }
        }
      }
    }
    this.#table = table;
  }

  pick(hash: number): E {
    return this.#endpoints[this.#table[hash % this.#table.length] as number] as E;
  }
}
