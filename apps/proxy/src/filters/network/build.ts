import { networkFilterName, type TNetworkFilter as TNetworkFilterConfig } from "@switchyard/config-model";
import type { TNetworkFilter } from "./api.ts";
import { createNetworkRbacFilter } from "./rbac/filter.ts";
import { compileSniRouter } from "./sni-router/config.ts";
import { createSniRouterFilter, type TSniRouterStats } from "./sni-router/filter.ts";

/** Counters the built-in network filters update (observability/metrics.ts implements them). */
export type TNetworkFilterEnv = TSniRouterStats;

/** A tcp listener's network filters, in order, built once per config version; the tcp proxy runs after them. */
export function buildNetworkFilters(filters: readonly TNetworkFilterConfig[], env: TNetworkFilterEnv): readonly TNetworkFilter[] {
  return Object.freeze(
    filters.map((f) => {
      const name = networkFilterName(f);
      switch (f.type) {
        case "rbac":
          return createNetworkRbacFilter(name, f);
        case "sniRouter":
          return createSniRouterFilter(name, compileSniRouter(f), env);
      }
    }),
  );
}
