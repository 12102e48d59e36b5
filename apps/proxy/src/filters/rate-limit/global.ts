import type { TRateLimitKey, TRateLimitPolicy } from "@switchyard/config-model";
import { Redis } from "ioredis";
import { decide, type TRateLimitDecision, type TRateLimiter } from "./decision.ts";
import { PERIOD_MS } from "./local.ts";

/**
 * scope: global — one token bucket per key shared by every proxy through Redis. One
 * round trip per request: an atomic Lua script refills by Redis's own clock (TIME, so
 * proxies' clocks do not matter), takes a token and answers the tokens left. Keys expire
 * once a full bucket would have refilled, so idle keys cost nothing.
 *
 * Redis unreachable or slower than COMMAND_TIMEOUT_MS: the request is allowed (failOpen,
 * default) or refused, and `onRedisError` counts it. Commands never queue while
 * disconnected (enableOfflineQueue false), so an outage costs no latency.
 */

/** Longest a request waits for Redis before failing open/closed. */
export const COMMAND_TIMEOUT_MS = 100;

const SCRIPT = `
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local v = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(v[1])
local ts = tonumber(v[2])
if tokens == nil or ts == nil then tokens = burst; ts = now end
if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate); ts = now end
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], ttl)
return {allowed, tostring(tokens)}
`;

type TRedisWithScript = Redis & { swyTakeToken(key: string, burst: number, rate: number, ttl: number): Promise<[number, string]> };

export function createRedis(url: string, onError: (err: Error) => void): TRedisWithScript {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    // Reconnect forever, at most every 2 s.
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  }) as TRedisWithScript;
  // An 'error' event without a listener would crash the process.
  redis.on("error", onError);
  redis.defineCommand("swyTakeToken", { numberOfKeys: 1, lua: SCRIPT });
  return redis;
}

export class GlobalRateLimiter implements TRateLimiter {
  readonly policy: string;
  readonly key: string;
  readonly keySpec: TRateLimitKey;
  readonly #redis: TRedisWithScript;
  readonly #burst: number;
  readonly #ratePerMs: number;
  readonly #ttlMs: number;
  readonly #failOpen: boolean;
  readonly #prefix: string;
  readonly #onRedisError: (policy: string, err: unknown) => void;

  constructor(p: TRateLimitPolicy, key: string, redis: TRedisWithScript, onRedisError: (policy: string, err: unknown) => void) {
    this.policy = p.name;
    this.key = key;
    this.keySpec = typeof p.key === "object" ? { header: p.key.header.toLowerCase() } : p.key;
    this.#redis = redis;
    this.#burst = p.burst ?? p.requests;
    this.#ratePerMs = p.requests / PERIOD_MS[p.per];
    this.#ttlMs = Math.ceil(this.#burst / this.#ratePerMs) + 1_000;
    this.#failOpen = p.failOpen;
    // The policy's identity is in the key, so a changed policy starts with fresh buckets.
    this.#prefix = `switchyard:rl:${p.name}:${key.slice(-12)}:`;
    this.#onRedisError = onRedisError;
  }

  check(bucketKey: string): Promise<TRateLimitDecision> {
    return this.#redis.swyTakeToken(this.#prefix + bucketKey, this.#burst, this.#ratePerMs, this.#ttlMs).then(
      ([allowed, tokens]) => decide(allowed === 1, Number(tokens), this.#burst, this.#ratePerMs),
      (err: unknown) => {
        this.#onRedisError(this.policy, err);
        return decide(this.#failOpen, this.#failOpen ? 1 : 0, this.#burst, this.#ratePerMs);
      },
    );
  }

  close(): void {
    // The Redis client is shared and owned by the manager.
  }
}
