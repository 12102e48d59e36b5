import type { TRateLimitKey, TRateLimitPolicy } from "@switchyard/config-model";
import { hashConfig } from "@switchyard/config-model";
import type { TLog } from "../../observability/log.ts";
import type { TRateLimiter } from "./decision.ts";
import { createRedis, GlobalRateLimiter } from "./global.ts";
import { LeasedRateLimiter, type TTokenSource } from "./leased.ts";
import { LocalRateLimiter } from "./local.ts";

export type TRateLimitEvents = {
  readonly log: TLog;
  redisError(policy: string): void;
};

/**
 * Builds the rate limiters of each config version. A policy whose definition is
 * unchanged keeps its limiter (and so its buckets) across versions. One Redis client,
 * created when the first global policy appears, serves every global policy.
 */
export class RateLimitManager {
  readonly #redisUrl: string | null;
  readonly #events: TRateLimitEvents;
  #redis: ReturnType<typeof createRedis> | null = null;
  #current = new Map<string, TRateLimiter>();
  #lastErrorLog = 0;
  /** `--workers N` > 1: local buckets live in the primary, leased to this worker. */
  readonly #tokens: TTokenSource | null;

  constructor(redisUrl: string | null, events: TRateLimitEvents, tokens: TTokenSource | null = null) {
    this.#redisUrl = redisUrl;
    this.#events = events;
    this.#tokens = tokens;
  }

  /** Whether global policies can be enforced (--redis was given). */
  get redisConfigured(): boolean {
    return this.#redisUrl !== null;
  }

  prepare(policies: readonly TRateLimitPolicy[]): Map<string, TRateLimiter> {
    const next = new Map<string, TRateLimiter>();
    for (const p of policies) {
      const key = hashConfig(p);
      const existing = [...this.#current.values()].find((l) => l.policy === p.name && l.key === key);
      next.set(p.name, existing ?? this.#create(p, key));
    }
    return next;
  }

  commit(next: Map<string, TRateLimiter>): void {
    const kept = new Set(next.values());
    for (const l of this.#current.values()) if (!kept.has(l)) l.close();
    this.#current = next;
  }

  close(): void {
    for (const l of this.#current.values()) l.close();
    this.#redis?.disconnect();
    this.#redis = null;
  }

  #create(p: TRateLimitPolicy, key: string): TRateLimiter {
    if (p.scope === "local") return this.#tokens ? new LeasedRateLimiter(p, key, this.#tokens) : new LocalRateLimiter(p, key);
    this.#redis ??= createRedis(this.#redisUrl ?? "", (err) => this.#logError("ratelimit_redis_error", err));
    return new GlobalRateLimiter(p, key, this.#redis, (policy, err) => {
      this.#events.redisError(policy);
      this.#logError("ratelimit_redis_unavailable", err, policy);
    });
  }

  /** At most one log line per second: an outage must not flood the event log. */
  #logError(event: string, err: unknown, policy?: string): void {
    const now = Date.now();
    if (now - this.#lastErrorLog < 1_000) return;
    this.#lastErrorLog = now;
    this.#events.log(event, { ...(policy ? { policy } : {}), error: err });
  }
}

/** The bucket key of a request for a policy's `key`, or null when the request has none (not limited). */
export function bucketKeyOf(
  key: TRateLimitKey,
  req: { readonly path: string; readonly headers: { get(name: string): string | undefined }; readonly remoteAddress: string },
): string | null {
  if (key === "remoteAddress") return req.remoteAddress;
  if (key === "path") return req.path;
  if (key === "none") return "";
  return req.headers.get(key.header) ?? null;
}
