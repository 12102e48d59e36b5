"use client";
import { choices } from "../lib/format.ts";
import { replacementKeys, replacementOf, replacementYaml, type TOverridableFilter, type TOverrideMode, type TOverridesForm } from "../lib/filter-overrides-form.ts";
import type { issueClaimer } from "../lib/issues.ts";
import { Field } from "./field.tsx";
import { FieldErrors, Segmented } from "./fields.tsx";

const MODES = choices({ inherit: "Inherit", disable: "Disable", replace: "Replace config" });

/**
 * The route's per-filter overrides: each filter of the listeners serving its route config,
 * to inherit (run as the listener configures it), disable on this route, or run with a
 * replacement config typed as YAML. Issues under `filterOverrides.<name>` show at the filter.
 */
export function FilterOverridesEditor(props: { filters: TOverridableFilter[]; value: TOverridesForm; onChange: (v: TOverridesForm) => void; errors: TOverrideErrors; routeConfig: string }) {
  const { filters, value, onChange, errors } = props;
  const setMode = (f: TOverridableFilter, mode: TOverrideMode) => {
    const prev = value[f.name];
    const next = { ...value };
    if (mode === "inherit") delete next[f.name];
    else next[f.name] = { mode, yaml: prev?.yaml || (mode === "replace" ? replacementYaml(f) : "") };
    onChange(next);
  };
  return (
    <fieldset data-testid="filter-overrides">
      <legend>Filters</legend>
      {filters.length === 0 ? (
        <p className="muted small">No listener serving route config “{props.routeConfig}” has HTTP filters.</p>
      ) : (
        <p className="hint">
          The filters of the listeners serving route config “{props.routeConfig}”. Default: inherit (the filter runs as its listener configures it). A replacement is the filter’s fields (a
          plugin’s or wasm filter’s config), checked by the filter’s own schema.
        </p>
      )}
      {filters.map((f) => {
        const row = value[f.name];
        const mode = row?.mode ?? "inherit";
        const id = `override-${f.name}`;
        return (
          <div key={f.name} className="subsection" data-filter={f.name}>
            <div>
              <div>
                <strong className="mono">{f.name}</strong> <span className="tag">{f.type}</span>{" "}
                <span className="muted small">{f.listeners.length ? `on ${f.listeners.join(", ")}` : "no listener of this route config has this filter"}</span>
              </div>
              <Segmented name={id} label={`Filter ${f.name}`} options={MODES} value={mode} onChange={(m) => setMode(f, m)} />
            </div>
            <FieldErrors messages={(errors[f.name]?.row ?? [])} />
            {mode === "replace" && (
              <Field label={`Replacement config for ${f.name} (YAML)`} htmlFor={`${id}-yaml`} errors={errors[f.name]?.config ?? []} hint="Empty = an empty mapping; the filter’s type and name stay">
                <textarea id={`${id}-yaml`} className="mono" rows={5} value={row?.yaml ?? ""} onChange={(e) => onChange({ ...value, [f.name]: { mode: "replace", yaml: e.target.value } })} />
              </Field>
            )}
          </div>
        );
      })}
    </fieldset>
  );
}

export type TOverrideErrors = Record<string, { row: string[]; config: string[] }>;

/**
 * Claims the issues under `filterOverrides.<name>` for every listed filter (call before the
 * form's rest()): a replacement's field issues as "field: message", its YAML syntax error first.
 */
export function overrideErrors(c: ReturnType<typeof issueClaimer>, filters: TOverridableFilter[], value: TOverridesForm): TOverrideErrors {
  return Object.fromEntries(
    filters.map((f) => {
      const at = `filterOverrides.${f.name}`;
      const yaml = value[f.name]?.yaml ?? "";
      const fieldIssues = replacementKeys(yaml).flatMap((k) => c.at(`${at}.config.${k}`).map((m) => `${k}: ${m}`));
      const parsed = replacementOf(yaml);
      const syntax = value[f.name]?.mode === "replace" && "error" in parsed ? [`YAML: ${parsed.error}`] : [];
      const config = [...syntax, ...fieldIssues, ...c.at(`${at}.config`)];
      const row = c.at(at);
      // YAML that does not parse is sent as an unknown key (refused there): its syntax error says it all.
      return [f.name, { config, row: syntax.length ? [] : row }];
    }),
  );
}
