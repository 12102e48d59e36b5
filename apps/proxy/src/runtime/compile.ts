import type { TConfig } from "@switchyard/config-model";
import { compileRouteTable } from "../router/compile.ts";
import type { TCompiledRouteTable } from "../router/types.ts";
import type { ClusterRuntime } from "../upstream/cluster.ts";
import type { TCompiledListener } from "./types.ts";
import type { TRateLimiter } from "../filters/rate-limit/decision.ts";

/**
 * Compiles a validated, supported config into the listeners the request path uses.
 * Each route config is compiled once even when several listeners share it. Throws only
 * on an internal inconsistency (config-model's consistency check runs first).
 */
export function compileListeners(
  config: TConfig,
  clusters: ReadonlyMap<string, ClusterRuntime>,
  rateLimiters: ReadonlyMap<string, TRateLimiter> = new Map(),
): TCompiledListener[] {
  const bind = (name: string): ClusterRuntime => {
    const c = clusters.get(name);
    if (!c) throw new Error(`unknown cluster "${name}" after validation`);
    return c;
  };
  const tables = new Map<string, TCompiledRouteTable<ClusterRuntime>>();
  for (const rc of config.routeConfigs) tables.set(rc.name, compileRouteTable(rc, bind));

  return config.listeners.map((l) => {
    const routeTable = tables.get(l.routeConfig ?? "");
    if (!routeTable) throw new Error(`listener "${l.name}" has no route config after validation`);
    return Object.freeze({ name: l.name, address: l.address, port: l.port, limits: l.limits, routeTable, rateLimiters });
  });
}
