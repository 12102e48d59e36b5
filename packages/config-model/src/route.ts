import { z } from "zod";
import { ZDurationMs, ZHttpHeaderName, ZHttpMethod, ZName, exactlyOneOf } from "./common.ts";

/** Match a header (or query parameter) by exactly one of exact | prefix | regex | present. */
function valueMatcher<N extends z.ZodType>(name: N) {
  return z
    .strictObject({
      name,
      exact: z.string().optional(),
      prefix: z.string().optional(),
      /** Whole-value match (anchored), ECMAScript syntax. */
      regex: z.string().optional(),
      present: z.boolean().optional(),
      /** Negate the result; default false. */
      invert: z.boolean().default(false),
    })
    .superRefine(exactlyOneOf(["exact", "prefix", "regex", "present"]));
}

export const ZHeaderMatcher = valueMatcher(ZHttpHeaderName);
export const ZQueryMatcher = valueMatcher(z.string().min(1));

export const ZRouteMatch = z
  .strictObject({
    /** Path prefix, e.g. /users (matches /users and /users/1 and /usersx, as in Envoy). */
    prefix: z.string().startsWith("/", "must start with '/'").optional(),
    /** Exact path (query string excluded). */
    path: z.string().startsWith("/", "must start with '/'").optional(),
    /** Whole-path regex (anchored), ECMAScript syntax. */
    regex: z.string().min(1).optional(),
    /** Default true; false compares prefix/path case-insensitively. */
    caseSensitive: z.boolean().default(true),
    /** Default: any method. */
    methods: z.array(ZHttpMethod).optional(),
    headers: z.array(ZHeaderMatcher).default([]),
    query: z.array(ZQueryMatcher).default([]),
  })
  .superRefine(exactlyOneOf(["prefix", "path", "regex"]));

export const ZHeaderMutation = z.strictObject({
  add: z
    .array(
      z.strictObject({
        name: ZHttpHeaderName,
        value: z.string(),
        /** true appends to an existing value, false (default) overwrites it. */
        append: z.boolean().default(false),
      }),
    )
    .default([]),
  remove: z.array(ZHttpHeaderName).default([]),
});

export const ZRetryOn = z.enum([
  "5xx",
  "gateway-error",
  "connect-failure",
  "reset",
  "refused-stream",
  "retriable-4xx",
  "retriable-status-codes",
]);

export const ZRetryPolicy = z.strictObject({
  retryOn: z.array(ZRetryOn).min(1, "list at least one retry condition"),
  /** Default 1. */
  numRetries: z.number().int().min(0).max(10).default(1),
  /** Per try; 0 (default) = only the route timeout applies. */
  perTryTimeoutMs: ZDurationMs.default(0),
  /** Fully jittered exponential back-off; defaults 25 / 250 ms. */
  backoff: z
    .strictObject({ baseMs: z.number().int().min(1).default(25), maxMs: z.number().int().min(1).default(250) })
    .default({ baseMs: 25, maxMs: 250 }),
  retriableStatusCodes: z.array(z.number().int().min(100).max(599)).default([]),
  /**
   * Request bodies up to this size are buffered so a retry can replay them; a bigger body
   * is streamed and its request is not retried. Default 1048576 (1 MiB).
   */
  maxBufferBytes: z.number().int().min(0).max(67_108_864).default(1_048_576),
});

export const ZHashPolicy = z.union([
  z.strictObject({ header: ZHttpHeaderName }),
  z.strictObject({ cookie: z.string().min(1) }),
  z.strictObject({ sourceIp: z.literal(true) }),
]);

export const ZWeightedCluster = z.strictObject({
  cluster: ZName,
  weight: z.number().int().min(0, "must be >= 0"),
});

export const ZRouteAction = z
  .strictObject({
    cluster: ZName.optional(),
    weightedClusters: z.array(ZWeightedCluster).min(1, "list at least one cluster").optional(),
    /** Replaces the matched prefix (prefix routes) or the whole path (path/regex routes). */
    prefixRewrite: z.string().startsWith("/", "must start with '/'").optional(),
    /** Host/:authority sent upstream. */
    hostRewrite: z.string().min(1).optional(),
    /** Whole request including retries; default 15000; 0 = none. */
    timeoutMs: ZDurationMs.default(15_000),
    /** Stream idle timeout; default 0 = none. */
    idleTimeoutMs: ZDurationMs.default(0),
    /**
     * Proxy HTTP/1.1 `Upgrade: websocket` requests on this route (a raw two-way tunnel
     * once the upstream answers 101); default false: the upgrade headers are stripped
     * and the request is forwarded as a plain request, as Envoy does without upgrade_configs.
     */
    allowUpgrade: z.boolean().default(false),
    /** An upgraded (WebSocket) connection idle in both directions this long is closed; default 300000 (5 min); 0 = none. */
    upgradeIdleTimeoutMs: ZDurationMs.default(300_000),
    retryPolicy: ZRetryPolicy.optional(),
    /** Fire-and-forget copies; fraction defaults to 1. */
    mirror: z
      .array(z.strictObject({ cluster: ZName, fraction: z.number().min(0).max(1).default(1) }))
      .default([]),
    hashPolicy: z.array(ZHashPolicy).default([]),
    rateLimit: ZName.optional(),
  })
  .superRefine(exactlyOneOf(["cluster", "weightedClusters"]));

export const ZRedirectAction = z
  .strictObject({
    hostRedirect: z.string().min(1).optional(),
    portRedirect: z.number().int().min(1).max(65535).optional(),
    pathRedirect: z.string().startsWith("/", "must start with '/'").optional(),
    /** Replaces the matched prefix (prefix routes only). */
    prefixRewrite: z.string().startsWith("/", "must start with '/'").optional(),
    /** Default 301. */
    responseCode: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)]).default(301),
    httpsRedirect: z.boolean().default(false),
    stripQuery: z.boolean().default(false),
  })
  .superRefine((r, ctx) => {
    if (r.pathRedirect !== undefined && r.prefixRewrite !== undefined) {
      ctx.addIssue({ code: "custom", path: ["prefixRewrite"], message: "pathRedirect and prefixRewrite are mutually exclusive" });
    }
  });

export const ZDirectResponse = z.strictObject({
  status: z.number().int().min(100).max(599),
  /** Default: empty body. */
  body: z.string().default(""),
  /** Default text/plain. */
  contentType: z.string().min(1).default("text/plain"),
});

/**
 * One filter's override on a route: `disabled: true` skips it on this route; `config`
 * replaces its config there (for a built-in filter: its fields without `type`/`name`;
 * for a wasm filter: its `config` string, the module stays), checked by the same schema
 * at validation.
 */
export const ZFilterOverride = z
  .strictObject({ disabled: z.boolean().optional(), config: z.unknown().optional() })
  .refine((o) => !(o.disabled === true && o.config !== undefined), { message: "disabled and config are exclusive" });

export const ZRoute = z
  .strictObject({
    name: ZName,
    match: ZRouteMatch,
    route: ZRouteAction.optional(),
    redirect: ZRedirectAction.optional(),
    directResponse: ZDirectResponse.optional(),
    requestHeaders: ZHeaderMutation.optional(),
    responseHeaders: ZHeaderMutation.optional(),
    /** Per-route overrides of the listener's httpFilters, by filter name. Default: none. */
    filterOverrides: z.record(ZName, ZFilterOverride).optional(),
  })
  .superRefine(exactlyOneOf(["route", "redirect", "directResponse"]));

export const ZVirtualHost = z.strictObject({
  name: ZName,
  /** Exact ("api.example.com"), suffix ("*.example.com"), prefix ("api.*") or "*". Port is ignored. */
  domains: z.array(z.string().min(1)).min(1, "list at least one domain"),
  /** Rate-limit policy for the whole virtual host. */
  rateLimit: ZName.optional(),
  /** First match wins. */
  routes: z.array(ZRoute).default([]),
  requestHeaders: ZHeaderMutation.optional(),
  responseHeaders: ZHeaderMutation.optional(),
});

export const ZRouteConfig = z.strictObject({
  name: ZName,
  virtualHosts: z.array(ZVirtualHost).default([]),
});

export type TRouteConfig = z.infer<typeof ZRouteConfig>;
export type TVirtualHost = z.infer<typeof ZVirtualHost>;
export type TRoute = z.infer<typeof ZRoute>;
export type TFilterOverride = z.infer<typeof ZFilterOverride>;
export type TRouteMatch = z.infer<typeof ZRouteMatch>;
export type THeaderMatcher = z.infer<typeof ZHeaderMatcher>;
export type TQueryMatcher = z.infer<typeof ZQueryMatcher>;
export type TRouteAction = z.infer<typeof ZRouteAction>;
export type TRedirectAction = z.infer<typeof ZRedirectAction>;
export type TDirectResponse = z.infer<typeof ZDirectResponse>;
export type THeaderMutation = z.infer<typeof ZHeaderMutation>;
export type TRetryPolicy = z.infer<typeof ZRetryPolicy>;
export type TRetryOn = z.infer<typeof ZRetryOn>;
export type THashPolicy = z.infer<typeof ZHashPolicy>;
export type TWeightedCluster = z.infer<typeof ZWeightedCluster>;
