import type { TFilterLocalReply, TFilterRequest, THttpFilter } from "../api.ts";
import type { TRateLimitDecision, TRateLimiter } from "./decision.ts";
import { bucketKeyOf } from "./manager.ts";

/**
 * Rate limiting as an ordinary filter, bound at compile time to the policies of one
 * route (its virtual host's, then its own): the first policy that refuses answers 429
 * with flag RL and the x-ratelimit-* / retry-after headers. Local policies answer
 * synchronously; a global one after one Redis round trip. A request without the key's
 * value (e.g. the header is absent) is not limited by that policy (Envoy's behaviour).
 */
export function createRateLimitFilter(limiters: readonly TRateLimiter[], onLimited: (policy: string) => void): THttpFilter {
  const check = (req: TFilterRequest, from: number): TFilterLocalReply | undefined | Promise<TFilterLocalReply | undefined> => {
    for (let i = from; i < limiters.length; i++) {
      const limiter = limiters[i] as TRateLimiter;
      const key = bucketKeyOf(limiter.keySpec, req);
      if (key === null) continue;
      const d = limiter.check(key);
      if (d instanceof Promise) return d.then((decision) => (decision.allowed ? check(req, i + 1) : limited(limiter, decision)));
      if (!d.allowed) return limited(limiter, d);
    }
    return undefined;
  };
  const limited = (limiter: TRateLimiter, d: TRateLimitDecision): TFilterLocalReply => {
    onLimited(limiter.policy);
    return {
      status: 429,
      flag: "RL",
      body: "rate limited\n",
      headers: {
        "x-ratelimit-limit": String(d.limit),
        "x-ratelimit-remaining": String(d.remaining),
        "x-ratelimit-reset": String(d.resetSeconds),
        "retry-after": String(d.retryAfterSeconds),
      },
    };
  };
  return { name: "rateLimit", onRequestHeaders: (req) => check(req, 0) };
}
