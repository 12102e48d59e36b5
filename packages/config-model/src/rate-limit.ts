import { z } from "zod";
import { ZHttpHeaderName, ZName } from "./common.ts";

/** What a rate-limit bucket is keyed by. Default: the client's address. */
export const ZRateLimitKey = z.union([
  z.enum(["remoteAddress", "path", "none"]),
  z.strictObject({ header: ZHttpHeaderName }),
]);

export const ZRateLimitPolicy = z.strictObject({
  name: ZName,
  /** local = per proxy process (token bucket); global = shared by all proxies via Redis. Default local. */
  scope: z.enum(["local", "global"]).default("local"),
  /** Tokens added per `per` period. */
  requests: z.number().int().min(1, "must be >= 1"),
  per: z.enum(["second", "minute", "hour"]).default("second"),
  /** Bucket size; defaults to `requests`. */
  burst: z.number().int().min(1, "must be >= 1").optional(),
  key: ZRateLimitKey.default("remoteAddress"),
  /** global: when Redis cannot answer (error or 100 ms timeout), allow the request (true, default) or refuse it with 429 RL (false). */
  failOpen: z.boolean().default(true),
});

export type TRateLimitPolicy = z.infer<typeof ZRateLimitPolicy>;
export type TRateLimitKey = z.infer<typeof ZRateLimitKey>;
