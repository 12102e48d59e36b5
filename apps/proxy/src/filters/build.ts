import { httpFilterName, overriddenFilter, type TListener, type THttpFilter as THttpFilterConfig } from "@switchyard/config-model";
import type { TCompiledRoute, TCompiledRouteTable } from "../router/types.ts";
import type { ClusterRuntime } from "../upstream/cluster.ts";
import type { THttpFilter } from "./api.ts";
import { NO_FILTER_CODE, type TFilterCode } from "./code/index.ts";
import type { TNetworkFilterEnv } from "./network/build.ts";
import { compileChain, DEFAULT_FILTER_BUFFER_BYTES, EMPTY_CHAIN, type TFilterChain } from "./chain.ts";
import { createBufferLimitsFilter } from "./buffer-limits/filter.ts";
import { compileCompression } from "./compression/config.ts";
import { createCompressionFilter } from "./compression/filter.ts";
import { compileCors } from "./cors/config.ts";
import { createCorsFilter } from "./cors/filter.ts";
import { compileExtAuthz } from "./ext-authz/config.ts";
import { createExtAuthzFilter } from "./ext-authz/filter.ts";
import { compileFault } from "./fault/config.ts";
import { createFaultFilter } from "./fault/filter.ts";
import { createGrpcWebFilter } from "./grpc-web/filter.ts";
import { createHeaderMutationFilter } from "./header-mutation/filter.ts";
import { compileJwtAuthn } from "./jwt-authn/config.ts";
import { createJwtAuthnFilter } from "./jwt-authn/filter.ts";
import type { TRateLimiter } from "./rate-limit/decision.ts";
import { createRateLimitFilter } from "./rate-limit/filter.ts";
import { compileLocalReplies } from "./local-replies/config.ts";
import { createLocalRepliesFilter } from "./local-replies/filter.ts";
import { compileRbac } from "./rbac/config.ts";
import { createRbacFilter } from "./rbac/filter.ts";

/** What filters (HTTP and network) may use beyond their config: counters of the proxy's metrics, and the version's loaded filter code (plugins). */
export type TFilterEnv = TNetworkFilterEnv & {
  rateLimited(policy: string): void;
  code: TFilterCode;
};

export const NO_FILTER_ENV: TFilterEnv = { rateLimited: () => undefined, sniHello: () => undefined, sniRouted: () => undefined, code: NO_FILTER_CODE };

/** The chains of one listener: one per route (built once per version), and the one for requests without a route. */
export type TListenerChains = {
  readonly byRoute: ReadonlyMap<TCompiledRoute<ClusterRuntime>, TFilterChain>;
  readonly noRoute: TFilterChain;
};

/** A filter from its validated config entry: built-ins here, code filters from the version's loaded code. */
function createFilter(f: THttpFilterConfig, code: TFilterCode): THttpFilter {
  const name = httpFilterName(f);
  switch (f.type) {
    case "plugin":
    case "wasm":
      return code.filter(f);
    case "cors":
      return createCorsFilter(name, compileCors(f));
    case "jwtAuthn":
      return createJwtAuthnFilter(name, compileJwtAuthn(f));
    case "rbac":
      return createRbacFilter(name, compileRbac(f));
    case "extAuthz":
      return createExtAuthzFilter(name, compileExtAuthz(f));
    case "compression":
      return createCompressionFilter(name, compileCompression(f));
    case "fault":
      return createFaultFilter(name, compileFault(f));
    case "localReplies":
      return createLocalRepliesFilter(name, compileLocalReplies(f));
    case "grpcWeb":
      return createGrpcWebFilter(name);
    case "bufferLimits":
      return createBufferLimitsFilter(name, f);
  }
}

/**
 * Compiles a listener's filter chains for one config version. Per route, in order:
 *   the listener's httpFilters (minus those the route disables, with the route's
 *   replacement config where it has one: a second instance, built here)
 *   -> rateLimit (the virtual host's, then the route's policies), when any
 *   -> headerMutation (the route's and virtual host's requestHeaders/responseHeaders), when any
 *   -> the terminal (router) always runs last, outside the chain.
 * Routes that change nothing share one chain object.
 */
export function buildListenerChains(
  l: TListener,
  table: TCompiledRouteTable<ClusterRuntime>,
  rateLimiters: ReadonlyMap<string, TRateLimiter>,
  env: TFilterEnv,
): TListenerChains {
  const bufferLimit = Math.min(DEFAULT_FILTER_BUFFER_BYTES, l.limits.maxRequestBodyBytes ?? Infinity);
  const base = l.httpFilters.map((f) => createFilter(f, env.code));
  const noRoute = base.length ? compileChain(base, bufferLimit) : EMPTY_CHAIN;
  const byRoute = new Map<TCompiledRoute<ClusterRuntime>, TFilterChain>();
  for (const route of routesOf(table)) {
    const overrides = route.filterOverrides;
    const filters: THttpFilter[] = [];
    l.httpFilters.forEach((f, i) => {
      const o = overrides?.[httpFilterName(f)];
      if (o?.disabled) return;
      filters.push(o?.config !== undefined ? createFilter(overriddenFilter(f, o.config), env.code) : (base[i] as THttpFilter));
    });
    const limiters = route.rateLimits.map((n) => rateLimiters.get(n)).filter((x): x is TRateLimiter => x !== undefined);
    if (limiters.length) filters.push(createRateLimitFilter(limiters, env.rateLimited));
    if (route.requestHeaders.length || route.responseHeaders.length) filters.push(createHeaderMutationFilter(route.requestHeaders, route.responseHeaders));
    const same = filters.length === base.length && filters.every((f, i) => f === base[i]);
    byRoute.set(route, same ? noRoute : compileChain(filters, bufferLimit));
  }
  return Object.freeze({ byRoute, noRoute });
}

function* routesOf(table: TCompiledRouteTable<ClusterRuntime>): Generator<TCompiledRoute<ClusterRuntime>> {
  const seen = new Set<unknown>();
  const vhosts = [...table.exact.values(), ...table.suffixes.map((s) => s.vhost), ...table.prefixes.map((p) => p.vhost), ...(table.any ? [table.any] : [])];
  for (const vh of vhosts) {
    if (seen.has(vh)) continue;
    seen.add(vh);
    yield* vh.routes;
  }
}
