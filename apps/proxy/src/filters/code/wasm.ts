import { formatPath, httpFilterName, type TConfig, type TConfigIssue, type THttpFilter as THttpFilterConfig, type TWasmFilter } from "@switchyard/config-model";
import type { THttpFilter } from "../api.ts";
import { ABI_MARKERS } from "../wasm/abi.ts";
import { createWasmFilter, type TWasmFilterHandle } from "../wasm/filter.ts";
import { WasmSandbox } from "../wasm/sandbox.ts";
import type { TFilterCode, TFilterCodeDeps } from "./index.ts";

/**
 * proxy-wasm filters of one version: each module compiled once (WebAssembly.Module, by
 * SHA-256, reused across versions), and one plugin per (module, filter name, plugin
 * configuration) — a listener's entry and each route's replacement config — running in
 * its own sandbox thread of this process (filters/wasm/sandbox.ts), configured here so a
 * module that refuses its configuration refuses the version. Unchanged plugins carry over
 * with their state, as Envoy keeps a root context whose configuration did not change.
 */
type TPlugin = { readonly sandbox: WasmSandbox; readonly filter: TWasmFilterHandle };

type TWasmCode = TFilterCode & {
  readonly modules: ReadonlyMap<string, WebAssembly.Module>;
  readonly plugins: ReadonlyMap<string, TPlugin>;
};

/** How long an unloaded plugin waits for its requests in flight before its thread stops. */
const DRAIN_LIMIT_MS = 300_000;
const DRAIN_POLL_MS = 1000;

const keyOf = (sha256: string, name: string, config: string) => `${sha256}\u0000${name}\u0000${config}`;

/** The plugins a config needs: key -> where (path of its config, for issues). */
function pluginsNeeded(config: TConfig): Map<string, { entry: TWasmFilter; sha256: string; secretIndex: number; path: string }> {
  const secrets = new Map(config.secrets.map((s, i) => [s.name, { s, i }] as const));
  const out = new Map<string, { entry: TWasmFilter; sha256: string; secretIndex: number; path: string }>();
  const add = (entry: TWasmFilter, path: (string | number)[]) => {
    const found = secrets.get(entry.module.secret);
    if (!found || found.s.type !== "wasmModule") return; // refused by validation already
    const key = keyOf(found.s.sha256, httpFilterName(entry), entry.config);
    if (!out.has(key)) out.set(key, { entry, sha256: found.s.sha256, secretIndex: found.i, path: formatPath(path) });
  };
  const byRouteConfig = new Map<string, TWasmFilter[]>();
  config.listeners.forEach((l, i) =>
    l.httpFilters.forEach((f, j) => {
      if (f.type !== "wasm") return;
      add(f, ["listeners", i, "httpFilters", j, "config"]);
      if (l.routeConfig !== undefined) byRouteConfig.set(l.routeConfig, [...(byRouteConfig.get(l.routeConfig) ?? []), f]);
    }),
  );
  config.routeConfigs.forEach((rc, i) =>
    rc.virtualHosts.forEach((vh, j) =>
      vh.routes.forEach((r, k) => {
        for (const [name, o] of Object.entries(r.filterOverrides ?? {})) {
          if (o.config === undefined) continue;
          for (const f of byRouteConfig.get(rc.name) ?? []) {
            if (httpFilterName(f) === name) add({ ...f, config: o.config as string }, ["routeConfigs", i, "virtualHosts", j, "routes", k, "filterOverrides", name, "config"]);
          }
        }
      }),
    ),
  );
  return out;
}

export async function loadWasmCode(config: TConfig, previous: TFilterCode | null, deps: TFilterCodeDeps): Promise<{ code: TFilterCode; issues: TConfigIssue[] }> {
  const prev = previous as TWasmCode | null;
  const issues: TConfigIssue[] = [];
  const modules = new Map<string, WebAssembly.Module>();
  const plugins = new Map<string, TPlugin>();
  const failedModules = new Set<string>();

  for (const [key, need] of pluginsNeeded(config)) {
    const reused = prev?.plugins.get(key);
    if (reused) {
      plugins.set(key, reused);
      modules.set(need.sha256, prev?.modules.get(need.sha256) as WebAssembly.Module);
      continue;
    }
    if (failedModules.has(need.sha256)) continue;
    let module = modules.get(need.sha256) ?? prev?.modules.get(need.sha256);
    if (!module) {
      const dataPath = formatPath(["secrets", need.secretIndex, "data"]);
      const secret = config.secrets[need.secretIndex] as { data: string };
      try {
        module = await WebAssembly.compile(Buffer.from(secret.data, "base64"));
      } catch (err) {
        issues.push({ path: dataPath, message: `not a valid WebAssembly module: ${(err as Error).message}` });
        failedModules.add(need.sha256);
        continue;
      }
      const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
      if (!ABI_MARKERS.some((m) => exported.has(m))) {
        issues.push({ path: dataPath, message: `not a proxy-wasm module: it exports none of ${ABI_MARKERS.join(", ")} (ABI 0.2.1)` });
        failedModules.add(need.sha256);
        continue;
      }
    }
    modules.set(need.sha256, module);
    const name = httpFilterName(need.entry);
    try {
      const started = await WasmSandbox.start({ op: "init", module, pluginName: name, config: new TextEncoder().encode(need.entry.config) });
      for (const [level, message] of started.logs) deps.log("wasm_log", { filter: name, level, message });
      plugins.set(key, { sandbox: started.sandbox, filter: createWasmFilter(name, started.sandbox, module, deps.log) });
    } catch (err) {
      issues.push({ path: need.path, message: `wasm filter "${name}" failed to start: ${(err as Error).message}` });
    }
  }

  const secrets = new Map(config.secrets.map((s) => [s.name, s] as const));
  const code: TWasmCode = {
    modules,
    plugins,
    create(entry: THttpFilterConfig): THttpFilter {
      const f = entry as TWasmFilter;
      const s = secrets.get(f.module.secret) as { sha256: string };
      const p = plugins.get(keyOf(s.sha256, httpFilterName(f), f.config));
      if (!p) throw new Error(`wasm filter "${httpFilterName(f)}" was not loaded`);
      return p.filter;
    },
    release(keep) {
      const k = keep as TWasmCode | null;
      const kept = new Set(k ? [...k.plugins.values()] : []);
      for (const p of plugins.values()) if (!kept.has(p)) drainThenClose(p, deps);
    },
  };
  return { code, issues };
}

/** The plugin left the config: its thread stops once requests still using it are done (at most DRAIN_LIMIT_MS). */
function drainThenClose(p: TPlugin, deps: TFilterCodeDeps): void {
  const started = performance.now();
  const tick = () => {
    if (p.filter.liveStreams() === 0 || performance.now() - started > DRAIN_LIMIT_MS) {
      p.sandbox.close();
      deps.log("wasm_plugin_unloaded", { filter: p.filter.name });
      return;
    }
    setTimeout(tick, DRAIN_POLL_MS).unref();
  };
  tick();
}
