import { z } from "zod";
import { ZDurationMs, ZName } from "../common.ts";

/**
 * Where a plugin's code comes from: an installed package ("@acme/switchyard-tenant",
 * "tenant-filter/sub"), an absolute path ("/opt/plugins/tenant/index.mjs") or a file: URL.
 * Relative paths are refused: relative to what would differ between the console, a
 * standalone file and a worker process.
 */
const ZPluginModule = z
  .string()
  .min(1, "must not be empty")
  .max(1024, "must be at most 1024 characters")
  .refine((s) => !/^\.\.?(\/|\\|$)/.test(s), "must be an installed package name, an absolute path or a file: URL (not a relative path)")
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  .refine((s) => !/[\u0000-\u001f]/.test(s), "must not contain control characters");

/** Default bound of one async plugin phase (`timeoutMs`): past it the request fails with 500 FE. */
export const DEFAULT_PLUGIN_PHASE_TIMEOUT_MS = 5_000;

/**
 * A filter of your own, written in TypeScript or JavaScript (docs/filters.md "Writing a
 * plugin"). The module's default export is `{ name, version, configSchema, create }`; the
 * proxy checks `config` with `configSchema` when a version is applied (NACK with the
 * plugin's message and this entry's path when it refuses).
 */
export const ZPluginFilter = z.strictObject({
  type: z.literal("plugin"),
  /** Unique in the chain; routes' filterOverrides and switchyard_filter_errors_total{filter} use it. Required. */
  name: ZName,
  module: ZPluginModule,
  /**
   * The plugin version this config needs (exact match with the module's `version`); default:
   * any. The console refuses to publish to a group whose connected nodes lack it.
   */
  version: z.string().min(1).max(64).optional(),
  /** Handed to the plugin's configSchema, then to create(); default {}. */
  config: z.unknown().default({}),
  /**
   * Longest an async phase (a returned promise) may take before the request fails with 500
   * FE; default 5000. Synchronous code cannot be interrupted: keep it short.
   */
  timeoutMs: ZDurationMs.min(1, "must be >= 1").max(300_000, "must be <= 300000").default(DEFAULT_PLUGIN_PHASE_TIMEOUT_MS),
});

export type TPluginFilter = z.infer<typeof ZPluginFilter>;

/**
 * A plugin as a node announces it in hello (`capabilities.plugins`): the module a config's
 * entry names, the module's own name and version, and its config schema as JSON Schema
 * (the console renders a form from it; null when the plugin has none).
 */
/** Most JSON characters of one announced config schema (a node drops a larger one: the console then edits JSON). */
export const PLUGIN_SCHEMA_MAX_CHARS = 65_536;

export const ZPluginInfo = z.object({
  module: z.string().min(1).max(1024),
  name: z.string().min(1).max(256),
  version: z.string().min(1).max(64),
  configSchema: z
    .record(z.string(), z.unknown())
    .nullable()
    .default(null)
    .refine((s) => s === null || JSON.stringify(s).length <= PLUGIN_SCHEMA_MAX_CHARS, `config schema larger than ${PLUGIN_SCHEMA_MAX_CHARS} characters of JSON`),
});

export type TPluginInfo = z.infer<typeof ZPluginInfo>;

/** Plugin entries in listeners' httpFilters, with their paths. */
export function pluginEntries(config: { readonly listeners: readonly { readonly httpFilters: readonly { readonly type: string }[] }[] }): { entry: TPluginFilter; path: (string | number)[] }[] {
  return config.listeners.flatMap((l, i) =>
    l.httpFilters.flatMap((f, j) => (f.type === "plugin" ? [{ entry: f as TPluginFilter, path: ["listeners", i, "httpFilters", j] }] : [])),
  );
}

/** Why a node announcing `plugins` cannot serve `entry` (no such module, or another version); null when it can. */
export function missingPlugin(entry: TPluginFilter, plugins: readonly TPluginInfo[]): { field: "module" | "version"; message: string } | null {
  const found = plugins.filter((p) => p.module === entry.module);
  if (found.length === 0) return { field: "module", message: `plugin module "${entry.module}" is not installed` };
  if (entry.version !== undefined && !found.some((p) => p.version === entry.version)) {
    return { field: "version", message: `plugin "${entry.module}" is version ${found.map((p) => p.version).join(", ")}, the config needs ${entry.version}` };
  }
  return null;
}
