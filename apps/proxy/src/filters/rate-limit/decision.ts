/** What a rate-limit check answers; the 429 headers are derived from it. */
export type TRateLimitDecision = {
  readonly allowed: boolean;
  /** x-ratelimit-limit: the bucket size (burst, default `requests`). */
  readonly limit: number;
  /** x-ratelimit-remaining: whole tokens left after this request. */
  readonly remaining: number;
  /** x-ratelimit-reset: seconds until the bucket is full again. */
  readonly resetSeconds: number;
  /** retry-after: seconds until the next token. */
  readonly retryAfterSeconds: number;
};

import type { TRateLimitKey } from "@switchyard/config-model";

export type TRateLimiter = {
  readonly policy: string;
  /** What buckets are keyed by; a header name is lower-cased. */
  readonly keySpec: TRateLimitKey;
  /** Identity across config versions: same key = same buckets. */
  readonly key: string;
  /** Local limiters answer synchronously; global ones with a promise (one Redis round trip). */
  check(bucketKey: string): TRateLimitDecision | Promise<TRateLimitDecision>;
  close(): void;
};

export function decide(allowed: boolean, tokens: number, burst: number, ratePerMs: number): TRateLimitDecision {
  return {
    allowed,
    limit: burst,
    remaining: Math.max(0, Math.floor(tokens)),
    resetSeconds: Math.ceil((burst - tokens) / ratePerMs / 1000),
    retryAfterSeconds: tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / ratePerMs / 1000)),
  };
}
