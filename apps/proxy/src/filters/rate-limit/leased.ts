import type { TRateLimitKey, TRateLimitPolicy } from "@switchyard/config-model";
import { decide, type TRateLimitDecision, type TRateLimiter } from "./decision.ts";
import { PERIOD_MS } from "./local.ts";

/**
 * scope: local with `--workers N` > 1: the node's one token bucket per key lives in the
 * primary, and each worker leases tokens from it. A request spends a leased token without
 * any IPC; a worker without one asks the primary (the request waits that one round trip).
 * Every admitted request took a token from the primary's bucket, so the node admits
 * `requests` per `per` plus `burst`, whatever the number of workers. A lease is at most
 * burst / (4 * workers) tokens (1 for small buckets, which then ask per request) and
 * lapses after LEASE_TTL_MS unused: lapsed tokens are lost (under-admission by at most a
 * lease per worker and key), never returned later into a refilled bucket.
 */

export type TTokenSource = {
  readonly workers: number;
  /** Takes up to `want` tokens from the primary's bucket `key`; `tokens`: what the bucket has left. */
  takeTokens(key: string, burst: number, ratePerMs: number, want: number): Promise<{ granted: number; tokens: number }>;
};

const LEASE_TTL_MS = 250;
/** Leases kept per policy before the oldest are dropped (bounds memory under key churn). */
const MAX_LEASES = 100_000;

type TLease = { tokens: number; expires: number };

export class LeasedRateLimiter implements TRateLimiter {
  readonly policy: string;
  readonly key: string;
  readonly keySpec: TRateLimitKey;
  readonly #burst: number;
  readonly #ratePerMs: number;
  readonly #leaseSize: number;
  readonly #source: TTokenSource;
  readonly #leases = new Map<string, TLease>();

  constructor(p: TRateLimitPolicy, key: string, source: TTokenSource) {
    this.policy = p.name;
    this.key = key;
    this.keySpec = typeof p.key === "object" ? { header: p.key.header.toLowerCase() } : p.key;
    this.#burst = p.burst ?? p.requests;
    this.#ratePerMs = p.requests / PERIOD_MS[p.per];
    this.#leaseSize = Math.max(1, Math.floor(this.#burst / (4 * source.workers)));
    this.#source = source;
  }

  check(bucketKey: string): TRateLimitDecision | Promise<TRateLimitDecision> {
    const now = performance.now();
    const lease = this.#leases.get(bucketKey);
    if (lease !== undefined && lease.tokens >= 1 && lease.expires > now) {
      lease.tokens--;
      return decide(true, lease.tokens, this.#burst, this.#ratePerMs);
    }
    return this.#source.takeTokens(`${this.key}\0${bucketKey}`, this.#burst, this.#ratePerMs, this.#leaseSize).then(({ granted, tokens }) => {
      if (granted < 1) return decide(false, tokens, this.#burst, this.#ratePerMs);
      if (granted > 1) this.#keep(bucketKey, granted - 1);
      return decide(true, tokens + granted - 1, this.#burst, this.#ratePerMs);
    });
  }

  #keep(bucketKey: string, tokens: number): void {
    if (!this.#leases.has(bucketKey) && this.#leases.size >= MAX_LEASES) {
      let n = MAX_LEASES / 10;
      for (const k of this.#leases.keys()) {
        this.#leases.delete(k);
        if (--n <= 0) break;
      }
    }
    this.#leases.set(bucketKey, { tokens, expires: performance.now() + LEASE_TTL_MS });
  }

  close(): void {
    this.#leases.clear();
  }
}
