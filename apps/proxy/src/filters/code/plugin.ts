import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { formatPath, PLUGIN_SCHEMA_MAX_CHARS, type TPluginFilter } from "@switchyard/config-model";
import { ConfigCompileError } from "../../runtime/compile-error.ts";
import { configCheckOf, jsonSchemaOf } from "./plugin-schema.ts";
import { pluginFilter, type TPluginInstance } from "./plugin-filter.ts";
import type { TCodeEnv, TCodeLoader, TLoadedModule } from "./types.ts";

/**
 * The `plugin` filter loader (DESIGN §4 "Filter plugins"). For one entry
 * `{ type: plugin, name, module, version?, config, timeoutMs }`:
 *   import the module (once per process) -> check its default export
 *   `{ name, version, configSchema?, create }` -> the entry's version pin -> config through
 *   configSchema (zod or JSON Schema) -> create(config, ctx) -> the instance on the filter API.
 * Each refusal is a ConfigCompileError with the path of what is wrong (`.module`,
 * `.version`, `.config.<field>`, or the entry for a throwing create) and the plugin's own
 * message, so the version is NACKed (or the file not applied) and the running one stays.
 *
 * Node caches an imported module for the life of the process: a changed plugin file takes
 * effect on restart (a new config version re-runs create(), not the module's top level).
 */
export type TPluginModule = {
  readonly name: string;
  readonly version: string;
  readonly configSchema?: unknown;
  create(config: unknown, ctx: TPluginContext): TPluginInstance | Promise<TPluginInstance>;
};

/** What create() gets besides its config. */
export type TPluginContext = {
  /** This entry's name (unique in the chain). */
  readonly filter: string;
  /** One line in the proxy's event log: `{ event: "plugin_log", filter, plugin, ...fields }`. */
  log(fields: Record<string, unknown>): void;
  /** A counter of this filter: switchyard_plugin_counter_total{filter, counter}. */
  counter(name: string): { inc(by?: number): void };
};

const imports = new Map<string, Promise<unknown>>();

/** A package name resolves from the proxy's install (its node_modules); a path or file: URL as given. */
function importOnce(spec: string): Promise<unknown> {
  const target = spec.startsWith("file:") ? spec : isAbsolute(spec) ? pathToFileURL(spec).href : spec;
  let p = imports.get(target);
  if (!p) {
    p = import(target);
    imports.set(target, p);
    // A module that is not installed yet may be by the next version.
    p.catch(() => imports.delete(target));
  }
  return p;
}

/** The module's plugin object, for `plugin new`'s test and the hello announcement as well. */
export async function importPlugin(spec: string): Promise<TPluginModule> {
  const ns = (await importOnce(spec)) as { default?: unknown };
  const m = (ns.default ?? ns) as Partial<TPluginModule>;
  const missing = [
    typeof m.name === "string" && m.name.length > 0 ? null : "name (string)",
    typeof m.version === "string" && m.version.length > 0 ? null : "version (string)",
    typeof m.create === "function" ? null : "create(config, ctx)",
  ].filter((x) => x !== null);
  if (missing.length) throw new TypeError(`its default export is not a plugin: missing ${missing.join(", ")}`);
  return m as TPluginModule;
}

/** name, version and JSON Schema of a loaded plugin, as announced and logged. */
export function describePlugin(spec: string, m: TPluginModule): TLoadedModule {
  const schema = jsonSchemaOf(m.configSchema);
  // The hello's bound (config-model ZPluginInfo): a larger schema is not announced, so the console shows JSON instead of a form.
  const announced = schema !== null && JSON.stringify(schema).length <= PLUGIN_SCHEMA_MAX_CHARS ? schema : null;
  return Object.freeze({ module: spec, name: m.name.slice(0, 256), version: m.version.slice(0, 64), configSchema: announced });
}

export const loadPluginFilter: TCodeLoader = async (e, path, env) => {
  const entry = e as TPluginFilter;
  const at = (...rest: (string | number)[]) => `${path}.${formatPath(rest)}`;
  if (env.allowedModules && !env.allowedModules.has(entry.module)) {
    throw new ConfigCompileError(at("module"), `plugin module "${entry.module}" is not one this proxy was started with (--plugin): ${[...env.allowedModules].join(", ") || "none"}`);
  }
  let mod: TPluginModule;
  try {
    mod = await importPlugin(entry.module);
  } catch (err) {
    throw new ConfigCompileError(at("module"), `cannot load plugin module "${entry.module}": ${messageOf(err)}`);
  }
  if (entry.version !== undefined && entry.version !== mod.version) {
    throw new ConfigCompileError(at("version"), `plugin "${mod.name}" at "${entry.module}" is version ${mod.version}, the config needs ${entry.version}`);
  }
  let check;
  try {
    check = configCheckOf(mod.configSchema);
  } catch (err) {
    throw new ConfigCompileError(at("module"), `plugin "${mod.name}" has an unusable configSchema: ${messageOf(err)}`);
  }
  const checked = check(entry.config);
  if (!checked.ok) {
    const first = checked.issues[0] ?? { path: [], message: "is invalid" };
    const more = checked.issues.length > 1 ? ` (and ${checked.issues.length - 1} more)` : "";
    throw new ConfigCompileError(at("config", ...first.path), `plugin "${mod.name}": ${first.message}${more}`);
  }
  let instance: TPluginInstance;
  try {
    instance = await withTimeout(Promise.resolve(mod.create(checked.value, contextFor(entry.name, mod.name, env))), entry.timeoutMs);
  } catch (err) {
    throw new ConfigCompileError(path, `plugin "${mod.name}" create() failed: ${messageOf(err)}`);
  }
  if (typeof instance !== "object" || instance === null) {
    throw new ConfigCompileError(path, `plugin "${mod.name}" create() returned ${typeof instance}, not an object of phases`);
  }
  const filter = pluginFilter(entry.name, instance, entry.timeoutMs, (err) => {
    env.filterFailed(entry.name, err);
  });
  return { filter, module: describePlugin(entry.module, mod) };
};

function contextFor(filter: string, plugin: string, env: TCodeEnv): TPluginContext {
  return Object.freeze({
    filter,
    log(fields: Record<string, unknown>) {
      const extra: Record<string, unknown> = typeof fields === "object" && fields !== null ? { ...fields } : { message: String(fields) };
      // The line's own keys stay the proxy's: a plugin cannot pass its line off as another event.
      for (const k of RESERVED_LOG_KEYS) delete extra[k];
      env.log("plugin_log", { ...extra, filter, plugin });
    },
    counter(name: string) {
      const counter = String(name);
      env.counter(filter, counter, 0);
      return Object.freeze({ inc: (by = 1) => env.counter(filter, counter, by) });
    },
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`did not finish within ${ms} ms (timeoutMs)`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (err: unknown) => (clearTimeout(t), reject(err)),
    );
  });
}

const RESERVED_LOG_KEYS = ["time", "level", "event"] as const;

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** --plugin modules, imported once at start: what hello announces. Throws naming the first module that does not load. */
export async function announcedPlugins(specs: readonly string[]): Promise<TLoadedModule[]> {
  const out: TLoadedModule[] = [];
  for (const spec of specs) {
    try {
      out.push(describePlugin(spec, await importPlugin(spec)));
    } catch (err) {
      throw new Error(`--plugin ${spec}: ${messageOf(err)}`, { cause: err });
    }
  }
  return out;
}

/** The modules a config may name: the --plugin list when given; else none in managed mode, any (null) standalone. */
export function allowedPluginModules(plugins: readonly string[] | null, managed: boolean): ReadonlySet<string> | null {
  if (plugins) return new Set(plugins);
  return managed ? new Set() : null;
}
