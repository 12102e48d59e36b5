import type { TConfig } from "./config.ts";
import type { TConfigIssue } from "./errors.ts";
import { formatPath } from "./errors.ts";
import { httpFilterName, ZHttpFilter, type THttpFilter } from "./listener.ts";

/**
 * Routes' `filterOverrides` against the listeners that serve them: each name must be a
 * filter of at least one listener using the route config, the name must be unambiguous
 * there (two filters of one name cannot be told apart), and a replacement `config` must
 * pass the filter's own schema (the same one its listener entry passes).
 */
export function checkFilterOverrides(config: TConfig): TConfigIssue[] {
  const issues: TConfigIssue[] = [];
  const chains = new Map<string, THttpFilter[][]>();
  for (const l of config.listeners) {
    if (l.routeConfig === undefined) continue;
    chains.set(l.routeConfig, [...(chains.get(l.routeConfig) ?? []), l.httpFilters]);
  }
  config.routeConfigs.forEach((rc, i) => {
    const listenerChains = chains.get(rc.name) ?? [];
    rc.virtualHosts.forEach((vh, j) => {
      vh.routes.forEach((r, k) => {
        if (!r.filterOverrides) return;
        for (const [name, o] of Object.entries(r.filterOverrides)) {
          const base = ["routeConfigs", i, "virtualHosts", j, "routes", k, "filterOverrides", name];
          const found = listenerChains.map((chain) => chain.filter((f) => httpFilterName(f) === name));
          if (!found.some((f) => f.length > 0)) {
            issues.push({ path: formatPath(base), message: `no listener using route config "${rc.name}" has a filter named "${name}"` });
            continue;
          }
          if (found.some((f) => f.length > 1)) {
            issues.push({ path: formatPath(base), message: `filter name "${name}" is not unique in a listener's httpFilters: give the filters names` });
            continue;
          }
          if (o.config === undefined) continue;
          for (const [f] of found) {
            if (!f) continue;
            const parsed = ZHttpFilter.safeParse(replacedEntry(f, o.config));
            if (parsed.success) continue;
            for (const issue of parsed.error.issues) {
              issues.push({ path: formatPath([...base, "config", ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))]), message: issue.message });
            }
            break;
          }
        }
      });
    });
  });
  return issues;
}

/** A filter's config with a route's replacement applied (already validated by checkFilterOverrides). */
export function overriddenFilter(f: THttpFilter, replacement: unknown): THttpFilter {
  return ZHttpFilter.parse(replacedEntry(f, replacement));
}

/**
 * The entry a route's replacement config makes. Filters whose code lives elsewhere (a
 * plugin: `{ type, name, module, config }`) keep their entry and get `config` replaced, the
 * way Envoy's typed_per_filter_config replaces a filter's config, not which filter runs; a
 * built-in's replacement is its whole set of fields.
 */
function replacedEntry(f: THttpFilter, replacement: unknown): unknown {
  if ("config" in f) return { ...f, config: replacement };
  return { ...(replacement as object), type: f.type, name: httpFilterName(f) };
}
