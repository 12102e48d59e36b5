import type { TRateLimitKey, TRateLimitPolicy } from "@switchyard/config-model";
import { decide, type TRateLimitDecision, type TRateLimiter } from "./decision.ts";
import { TokenBucket } from "./token-bucket.ts";

/** Buckets kept per policy before the oldest are evicted (bounds memory under key churn). */
const MAX_BUCKETS = 100_000;

export const PERIOD_MS = { second: 1_000, minute: 60_000, hour: 3_600_000 } as const;

/** scope: local — one token bucket per key in this process. */
export class LocalRateLimiter implements TRateLimiter {
  readonly policy: string;
  readonly key: string;
  readonly keySpec: TRateLimitKey;
  readonly #burst: number;
  readonly #ratePerMs: number;
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(p: TRateLimitPolicy, key: string) {
    this.policy = p.name;
    this.key = key;
    this.keySpec = typeof p.key === "object" ? { header: p.key.header.toLowerCase() } : p.key;
    this.#burst = p.burst ?? p.requests;
    this.#ratePerMs = p.requests / PERIOD_MS[p.per];
  }

  check(bucketKey: string): TRateLimitDecision {
    const now = performance.now();
    let b = this.#buckets.get(bucketKey);
    if (!b) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#evict();
      b = new TokenBucket(this.#burst, now);
      this.#buckets.set(bucketKey, b);
    }
    const allowed = b.take(this.#burst, this.#ratePerMs, now);
    return decide(allowed, b.tokens, this.#burst, this.#ratePerMs);
  }

  /** Drops the oldest tenth (Map order = creation order); a dropped key restarts with a full bucket. */
  #evict(): void {
    let n = MAX_BUCKETS / 10;
    for (const k of this.#buckets.keys()) {
      this.#buckets.delete(k);
      if (--n <= 0) break;
    }
  }

  close(): void {
    this.#buckets.clear();
  }
}
