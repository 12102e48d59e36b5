import { httpFilterName, type THttpFilter, type TListener, type TRoute } from "@switchyard/config-model";
import { parse as parseYaml, stringify as toYaml } from "yaml";

/** What a route does with one listener filter: run it as configured, skip it, or run it with another config. */
export type TOverrideMode = "inherit" | "disable" | "replace";
export type TOverrideRow = { mode: TOverrideMode; /** the replacement config, as typed */ yaml: string };
/** The route form's overrides, by filter name. */
export type TOverridesForm = Record<string, TOverrideRow>;

/** A filter a route can override: its name, type and the listeners (of the route's config) that run it. */
export type TOverridableFilter = { name: string; type: string; listeners: string[]; /** what "replace" starts from */ current: unknown };

/**
 * The filters of the listeners serving `routeConfig`, by name, in chain order. A name the
 * route overrides that no such listener has is listed too (type "?"), so the form shows
 * it and the server's issue on it has a place.
 */
export function overridableFilters(listeners: readonly Pick<TListener, "name" | "routeConfig" | "httpFilters">[], routeConfig: string, overridden: readonly string[] = []): TOverridableFilter[] {
  const out = new Map<string, TOverridableFilter>();
  for (const l of listeners) {
    if (l.routeConfig !== routeConfig) continue;
    for (const f of l.httpFilters) {
      const name = httpFilterName(f);
      const seen = out.get(name);
      if (seen) seen.listeners.push(l.name);
      else out.set(name, { name, type: f.type, listeners: [l.name], current: replaceableConfig(f) });
    }
  }
  for (const name of overridden) if (!out.has(name)) out.set(name, { name, type: "?", listeners: [], current: {} });
  return [...out.values()];
}

/**
 * What a replacement replaces (config-model filter-overrides.ts): a plugin's or wasm
 * filter's `config`; a built-in's whole set of fields (type and name stay).
 */
function replaceableConfig(f: THttpFilter): unknown {
  if ("config" in f) return f.config;
  const { type: _type, name: _name, ...fields } = f as THttpFilter & { name?: string };
  return fields;
}

export function overridesFormOf(o: TRoute["filterOverrides"]): TOverridesForm {
  const out: TOverridesForm = {};
  for (const [name, v] of Object.entries(o ?? {})) {
    if (v.disabled) out[name] = { mode: "disable", yaml: "" };
    else if (v.config !== undefined) out[name] = { mode: "replace", yaml: toYaml(v.config) };
  }
  return out;
}

/** The YAML a "replace" starts from: the filter's current config. */
export function replacementYaml(f: TOverridableFilter): string {
  return f.current === undefined || (typeof f.current === "object" && f.current !== null && Object.keys(f.current).length === 0) ? "" : toYaml(f.current);
}

/** A replacement's YAML as a value, or its syntax error. Empty text is an empty mapping. */
export function replacementOf(yaml: string): { value: unknown } | { error: string } {
  try {
    return { value: yaml.trim() === "" ? {} : (parseYaml(yaml) as unknown) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Form -> the route's filterOverrides (undefined when every filter inherits). YAML that
 * does not parse is sent as an unknown key, which the schema refuses at the filter's path
 * (the form shows the syntax error itself), so nothing half-typed is saved.
 */
export function buildOverrides(form: TOverridesForm): TRoute["filterOverrides"] {
  const out: Record<string, unknown> = {};
  for (const [name, row] of Object.entries(form)) {
    if (row.mode === "disable") out[name] = { disabled: true };
    if (row.mode !== "replace") continue;
    const r = replacementOf(row.yaml);
    out[name] = "value" in r ? { config: r.value } : { yaml: r.error };
  }
  return Object.keys(out).length ? (out as TRoute["filterOverrides"]) : undefined;
}

/** The top-level fields of a replacement (its issues are named by them). */
export function replacementKeys(yaml: string): string[] {
  const r = replacementOf(yaml);
  return "value" in r && typeof r.value === "object" && r.value !== null && !Array.isArray(r.value) ? Object.keys(r.value) : [];
}
