import { canonicalJson, formatPath, overriddenFilter, type TConfig, type TConfigIssue, type THttpFilter as THttpFilterConfig } from "@switchyard/config-model";
import { ConfigCompileError } from "../../runtime/compile-error.ts";
import type { THttpFilter } from "../api.ts";
import { loadPluginFilter } from "./plugin.ts";
import type { TCodeEnv, TCodeLoader, TLoadedModule } from "./types.ts";

/**
 * The apply pipeline's "filter code" step (runtime/apply.ts, before compile): every filter
 * whose code lives outside the proxy (a `plugin` module; proxy-wasm next) is loaded, its
 * config checked by its own schema and its instance created, once per version, before
 * anything else of that version is built. Failures come back as issues with the entry's
 * path (the version is refused: NACK, or the file is not applied); a version that loads
 * gives buildListenerChains the instances by entry (createFilter asks `filter(entry)`).
 *
 * This module only dispatches by filter type; each loader is one file beside it.
 */
const LOADERS: { readonly [type: string]: TCodeLoader | undefined } = {
  plugin: loadPluginFilter as TCodeLoader,
};

/** The loaded code of one version: filter instances by entry, and the modules behind them. */
export type TFilterCode = {
  /** The instance for a listener entry or a route's overridden entry (loaded for this version). */
  filter(entry: THttpFilterConfig): THttpFilter;
  /** Modules loaded for this version (name, version): logged on apply, reused by the next load. */
  readonly modules: readonly TLoadedModule[];
};

export type TFilterCodeResult = { ok: true; code: TFilterCode } | { ok: false; error: string; issues: TConfigIssue[] };

export const NO_FILTER_CODE: TFilterCode = Object.freeze({
  filter(entry: THttpFilterConfig): THttpFilter {
    throw new Error(`filter "${entry.type}" needs its code loaded (filters/code) before compile`);
  },
  modules: [],
});

/** What the apply pipeline hands the loaders (log, counters, the managed --plugin allow-list). */
export type TFilterCodeDeps = Omit<TCodeEnv, "previous">;

/**
 * Loads every code filter of `config`: listener entries, then routes' overrides that
 * replace a code filter's config (each a second instance, keyed by its whole entry).
 * `previous` is the last applied version's code: loaders may reuse what does not change.
 */
export async function loadFilterCode(config: TConfig, previous: TFilterCode | null, deps: TFilterCodeDeps): Promise<TFilterCodeResult> {
  const wanted = codeEntries(config);
  if (wanted.length === 0) return { ok: true, code: NO_FILTER_CODE };
  const env: TCodeEnv = { ...deps, previous: previous?.modules ?? [] };
  const instances = new Map<string, THttpFilter>();
  const modules = new Map<string, TLoadedModule>();
  const issues: TConfigIssue[] = [];
  // A listener entry whose module failed (not its config) is reported once, at its own
  // path, not again for each route override of it.
  const failed = new Set<THttpFilterConfig>();
  for (const { entry, base, path, load } of wanted) {
    const key = canonicalJson(entry);
    if (instances.has(key) || failed.has(base)) continue;
    try {
      const loaded = await load(entry, path, env);
      instances.set(key, loaded.filter);
      modules.set(loaded.module.module, loaded.module);
    } catch (err) {
      // A loader bug costs this version, never the running one.
      const at = err instanceof ConfigCompileError ? err.path : path;
      issues.push({ path: at, message: err instanceof ConfigCompileError ? err.message.slice(at.length + 2) : `cannot load filter code: ${err instanceof Error ? err.message : String(err)}` });
      if (base === entry && !at.startsWith(`${path}.config`)) failed.add(base);
    }
  }
  if (issues.length) return { ok: false, error: "invalid config: filter code refused it", issues };
  return {
    ok: true,
    code: Object.freeze({
      filter(entry: THttpFilterConfig): THttpFilter {
        const f = instances.get(canonicalJson(entry));
        if (!f) throw new Error(`filter "${entry.name ?? entry.type}" was not loaded for this version`);
        return f;
      },
      modules: Object.freeze([...modules.values()]),
    }),
  };
}

/** `base`: the listener entry (itself, or the one a route's override replaces the config of). */
type TWanted = { entry: THttpFilterConfig; base: THttpFilterConfig; path: string; load: TCodeLoader };

/** Code filter entries in config order, with the path an issue about each names. */
function codeEntries(config: TConfig): TWanted[] {
  const out: TWanted[] = [];
  const byRouteConfig = new Map<string, { entry: THttpFilterConfig; load: TCodeLoader }[]>();
  config.listeners.forEach((l, i) =>
    l.httpFilters.forEach((entry, j) => {
      const load = LOADERS[entry.type];
      if (!load) return;
      out.push({ entry, base: entry, path: formatPath(["listeners", i, "httpFilters", j]), load });
      if (l.routeConfig !== undefined) byRouteConfig.set(l.routeConfig, [...(byRouteConfig.get(l.routeConfig) ?? []), { entry, load }]);
    }),
  );
  config.routeConfigs.forEach((rc, i) =>
    rc.virtualHosts.forEach((vh, j) =>
      vh.routes.forEach((r, k) => {
        for (const [name, o] of Object.entries(r.filterOverrides ?? {})) {
          if (o.config === undefined) continue;
          for (const { entry, load } of byRouteConfig.get(rc.name) ?? []) {
            if ((entry.name ?? entry.type) !== name) continue;
            out.push({ entry: overriddenFilter(entry, o.config), base: entry, path: formatPath(["routeConfigs", i, "virtualHosts", j, "routes", k, "filterOverrides", name]), load });
          }
        }
      }),
    ),
  );
  return out;
}
