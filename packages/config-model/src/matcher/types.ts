import type { TLinearRegex } from "../linear-regex.ts";
import type { TFilterOverride } from "../route.ts";
import type { TCompiledHeaderMutation } from "./header-mutation.ts";
import type { TRouteIndex } from "./route-index.ts";

/**
 * The compiled route table: plain frozen objects built once per config version by
 * `compileRouteTable`. Nothing here is rebuilt on the request path; regexes are compiled
 * once. `C` is whatever the caller binds a cluster name to (the proxy binds its cluster
 * runtime; the console's route tester can bind the name itself).
 */

export type TCompiledValueMatcher = {
  /** Lower-case header name, or the query parameter name as written. */
  readonly name: string;
  readonly kind: "exact" | "prefix" | "regex" | "present";
  readonly value: string;
  /** Whole-value match, linear time (linear-regex.ts). */
  readonly regex: TLinearRegex | null;
  readonly present: boolean;
  readonly invert: boolean;
};

export type TRouteTarget<C> = { readonly name: string; readonly cluster: C; readonly weight: number };

/** A route's retry policy, compiled: conditions as booleans, so deciding is a few field reads. */
export type TCompiledRetryPolicy = {
  readonly numRetries: number;
  /** 0 = only the route timeout. */
  readonly perTryTimeoutMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly on5xx: boolean;
  readonly onGatewayError: boolean;
  readonly onConnectFailure: boolean;
  readonly onReset: boolean;
  readonly onRefusedStream: boolean;
  readonly onRetriable4xx: boolean;
  /** retriable-status-codes (empty unless that condition is listed). */
  readonly statusCodes: ReadonlySet<number>;
  readonly maxBufferBytes: number;
};

export type TCompiledHashPolicy =
  | { readonly kind: "header"; readonly name: string }
  | { readonly kind: "cookie"; readonly name: string }
  | { readonly kind: "sourceIp" };

export type TCompiledMirror<C> = { readonly name: string; readonly cluster: C; readonly fraction: number };

export type TCompiledForwardAction<C> = {
  readonly kind: "route";
  /** Targets with weight > 0; one entry for a plain `cluster`. */
  readonly targets: readonly TRouteTarget<C>[];
  readonly totalWeight: number;
  readonly prefixRewrite: string | null;
  readonly hostRewrite: string | null;
  /** 0 = no timeout. */
  readonly timeoutMs: number;
  /** Upstream stream idle timeout; 0 = none. */
  readonly idleTimeoutMs: number;
  readonly retryPolicy: TCompiledRetryPolicy | null;
  readonly hashPolicy: readonly TCompiledHashPolicy[];
  readonly mirrors: readonly TCompiledMirror<C>[];
  /** HTTP/1.1 Upgrade (WebSocket) tunnels allowed on this route. */
  readonly allowUpgrade: boolean;
  /** Upgraded tunnels idle this long are closed; 0 = never. */
  readonly upgradeIdleTimeoutMs: number;
};

export type TCompiledRedirectAction = {
  readonly kind: "redirect";
  readonly hostRedirect: string | null;
  readonly portRedirect: number | null;
  readonly pathRedirect: string | null;
  readonly prefixRewrite: string | null;
  readonly responseCode: number;
  readonly httpsRedirect: boolean;
  readonly stripQuery: boolean;
};

export type TCompiledDirectResponse = {
  readonly kind: "directResponse";
  readonly status: number;
  readonly body: Buffer;
  readonly contentType: string;
};

export type TCompiledAction<C> = TCompiledForwardAction<C> | TCompiledRedirectAction | TCompiledDirectResponse;

export type TCompiledRoute<C> = {
  readonly name: string;
  readonly virtualHost: string;
  readonly pathKind: "exact" | "prefix" | "regex";
  /** The prefix or exact path, lower-cased when !caseSensitive. */
  readonly pathValue: string;
  readonly caseSensitive: boolean;
  readonly pathRegex: TLinearRegex | null;
  readonly methods: ReadonlySet<string> | null;
  readonly headers: readonly TCompiledValueMatcher[];
  readonly query: readonly TCompiledValueMatcher[];
  readonly action: TCompiledAction<C>;
  /** Rate-limit policy names: the virtual host's, then the route's. Empty when none. */
  readonly rateLimits: readonly string[];
  /** Route-level first, then virtual-host-level. Empty when none. */
  readonly requestHeaders: readonly TCompiledHeaderMutation[];
  readonly responseHeaders: readonly TCompiledHeaderMutation[];
  /** The route's `filterOverrides` by filter name (applied when the proxy builds its filter chains); null when none. */
  readonly filterOverrides: Readonly<Record<string, TFilterOverride>> | null;
};

export type TCompiledVirtualHost<C> = {
  readonly name: string;
  readonly routes: readonly TCompiledRoute<C>[];
  /** First-segment index over `routes` (route-index.ts); null when the vhost is small or unindexable. */
  readonly index: TRouteIndex<C> | null;
  /** True when some route matches on query parameters: only then is the query parsed. */
  readonly needsQuery: boolean;
};

export type TCompiledRouteTable<C> = {
  readonly name: string;
  readonly exact: ReadonlyMap<string, TCompiledVirtualHost<C>>;
  /** `*.example.com` / `*-api.example.com`: longest suffix first. */
  readonly suffixes: readonly { readonly suffix: string; readonly vhost: TCompiledVirtualHost<C> }[];
  /** `api.*` / `api*`: longest prefix first. */
  readonly prefixes: readonly { readonly prefix: string; readonly vhost: TCompiledVirtualHost<C> }[];
  readonly any: TCompiledVirtualHost<C> | null;
  /** Memo of wildcard lookups (bounded); the table stays immutable in meaning. */
  readonly hostCache: Map<string, TCompiledVirtualHost<C> | null>;
};

/** What the matcher needs from a request. `path` excludes the query; `query` excludes the '?'. */
export type TRouteRequest = {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly query: string;
  /** Lower-case names, as node:http's `req.headers`. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
};
