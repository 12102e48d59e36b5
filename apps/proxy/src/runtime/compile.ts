import { ZPathNormalization, type TConfig, type TSecret } from "@switchyard/config-model";
import { buildListenerChains, NO_FILTER_ENV, type TFilterEnv } from "../filters/build.ts";
import { buildNetworkFilters } from "../filters/network/build.ts";
import { compileListenerTls } from "../listener/tls-context.ts";
import { compileRouteTable, type RouteCompileCache } from "../router/compile.ts";
import type { TCompiledRouteTable } from "../router/types.ts";
import type { ClusterRuntime } from "../upstream/cluster.ts";
import type { TCompiledListener } from "./types.ts";
import type { TRateLimiter } from "../filters/rate-limit/decision.ts";
import { compileAccessLogFormat } from "../observability/access-log.ts";
import { compileTracingPolicy } from "../observability/tracing/policy.ts";

/** Listener default when `accessLog` is absent (documented in config-model's listener.ts); tracing's are in tracing/policy.ts. */
const DEFAULT_ACCESS_LOG_SAMPLE_RATE = 1;
/** Absent pathNormalization: every switch at its default (on, escaped slashes redirected). */
const DEFAULT_PATH_NORMALIZATION = Object.freeze(ZPathNormalization.parse({}));

/**
 * Compiles a validated, supported config into the listeners the request path uses.
 * Each route config is compiled once even when several listeners share it; TLS contexts
 * and filters are built here, once per version. Throws ConfigCompileError (with the
 * field's path) for what validation cannot see, e.g. a PEM that does not parse.
 * `routeCache`: the routes earlier versions compiled, reused where unchanged.
 */
export function compileListeners(
  config: TConfig,
  clusters: ReadonlyMap<string, ClusterRuntime>,
  rateLimiters: ReadonlyMap<string, TRateLimiter> = new Map(),
  filterEnv: TFilterEnv = NO_FILTER_ENV,
  routeCache?: RouteCompileCache<ClusterRuntime>,
): TCompiledListener[] {
  const bind = (name: string): ClusterRuntime => {
    const c = clusters.get(name);
    if (!c) throw new Error(`unknown cluster "${name}" after validation`);
    return c;
  };
  const secrets = secretMap(config);
  const tables = new Map<string, TCompiledRouteTable<ClusterRuntime>>();
  for (const rc of config.routeConfigs) tables.set(rc.name, compileRouteTable(rc, bind, routeCache));
  const empty = compileRouteTable({ name: "", virtualHosts: [] }, bind);

  return config.listeners.map((l, i) => {
    const routeTable = l.protocol === "tcp" ? empty : tables.get(l.routeConfig ?? "");
    if (!routeTable) throw new Error(`listener "${l.name}" has no route config after validation`);
    return Object.freeze({
      name: l.name,
      address: l.address,
      port: l.port,
      protocol: l.protocol,
      limits: l.limits,
      routeTable,
      tls: compileListenerTls(l, i, secrets),
      chains: buildListenerChains(l, routeTable, rateLimiters, filterEnv),
      tcp: l.tcp
        ? Object.freeze({
            cluster: l.tcp.cluster !== undefined ? bind(l.tcp.cluster) : null,
            idleTimeoutMs: l.tcp.idleTimeoutMs,
            filters: buildNetworkFilters(l.networkFilters ?? [], filterEnv),
            clusters,
          })
        : null,
      tracing: compileTracingPolicy(l.tracing),
      accessLog: Object.freeze({ sampleRate: l.accessLog?.sampleRate ?? DEFAULT_ACCESS_LOG_SAMPLE_RATE, format: compileAccessLogFormat(l.accessLog?.format) }),
      pathNormalization: l.pathNormalization ? Object.freeze({ ...l.pathNormalization }) : DEFAULT_PATH_NORMALIZATION,
      trustedHops: l.trustedHops ?? 0,
      proxyProtocol: l.proxyProtocol ?? false,
    });
  });
}

export function secretMap(config: TConfig): ReadonlyMap<string, TSecret> {
  return new Map(config.secrets.map((s) => [s.name, s]));
}
