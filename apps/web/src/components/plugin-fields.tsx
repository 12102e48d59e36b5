"use client";
import { useQuery } from "@tanstack/react-query";
import { jsonOrText, type TPluginRow } from "../lib/listener-form.ts";
import { useTRPC } from "../lib/trpc.ts";
import { Field } from "./field.tsx";

type TSchema = {
  type?: string | string[];
  properties?: Record<string, TSchema>;
  required?: string[];
  enum?: unknown[];
  items?: TSchema;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
};

/**
 * A plugin entry: module (picked from what connected nodes announced, or typed), version
 * pin, phase timeout, and its config. When a node announced the module's config schema, the
 * config is a form built from that JSON Schema (strings, enums, numbers, booleans, string
 * lists; anything else as JSON); otherwise it is JSON text. The proxy checks the config
 * with the plugin's own schema when the version is applied.
 */
export function PluginFields({ f, i, errors, onChange }: { f: TPluginRow; i: number; errors: Record<string, string[]>; onChange: (p: Partial<TPluginRow>) => void }) {
  const trpc = useTRPC();
  const known = useQuery(trpc.nodes.plugins.queryOptions());
  const id = (k: string) => `filter-${i}-${k}`;
  const modules = [...new Set((known.data ?? []).map((p) => p.module))];
  const match = (known.data ?? []).find((p) => p.module === f.module.trim() && (f.version.trim() === "" || p.version === f.version.trim()));
  const schema = (match?.configSchema ?? null) as TSchema | null;
  const value = jsonOrText(f.config);
  const formable = schema?.type === "object" && schema.properties !== undefined && typeof value === "object" && value !== null && !Array.isArray(value);
  const setConfig = (next: Record<string, unknown>) => onChange({ config: JSON.stringify(next, null, 2) });
  return (
    <>
      <div className="grid-3">
        <Field label="Module" htmlFor={id("module")} errors={errors.module} hint={match ? `${match.name} ${match.version} on ${match.nodes.length} connected node(s)` : "Package name, absolute path or file: URL (proxies load only their --plugin modules)"}>
          <input id={id("module")} className="mono" list={id("modules")} value={f.module} placeholder="@acme/switchyard-tenant" onChange={(ev) => onChange({ module: ev.target.value })} />
          <datalist id={id("modules")}>
            {modules.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </Field>
        <Field label="Version" htmlFor={id("version")} errors={errors.version} hint="Exact version nodes must have; default any">
          <input id={id("version")} className="mono" value={f.version} placeholder="any" onChange={(ev) => onChange({ version: ev.target.value })} />
        </Field>
        <Field label="Phase timeout (ms)" htmlFor={id("timeoutMs")} errors={errors.timeoutMs} hint="An async phase slower than this fails the request (500 FE); default 5000">
          <input id={id("timeoutMs")} type="number" min={1} value={f.timeoutMs} placeholder="5000" onChange={(ev) => onChange({ timeoutMs: ev.target.value })} />
        </Field>
      </div>
      {formable ? (
        <fieldset className="plugin-config" aria-label={`Plugin config (${match?.name ?? f.module})`}>
          <legend>Config ({match?.name} schema)</legend>
          {(errors.config ?? []).map((m, n) => (
            <div key={n} className="field-error" role="alert">
              {m}
            </div>
          ))}
          <div className="grid-3">
            {Object.entries(schema.properties ?? {}).map(([prop, s]) => (
              <SchemaField key={prop} id={id(`config-${prop}`)} name={prop} schema={s} required={(schema.required ?? []).includes(prop)} value={(value as Record<string, unknown>)[prop]} onChange={(v) => setConfig(withField(value as Record<string, unknown>, prop, v))} />
            ))}
          </div>
        </fieldset>
      ) : (
        <Field label="Config (JSON)" htmlFor={id("config")} errors={[...(errors.config ?? []), ...(typeof value === "string" && f.config.trim() !== "" ? ["not valid JSON"] : [])]} hint={schema ? "Not an object: edit as JSON" : "No schema announced for this module: JSON, checked by the plugin when applied"}>
          <textarea id={id("config")} className="mono" rows={5} value={f.config} onChange={(ev) => onChange({ config: ev.target.value })} />
        </Field>
      )}
    </>
  );
}

/** `undefined` removes the field (the schema's default applies). */
function withField(obj: Record<string, unknown>, key: string, v: unknown): Record<string, unknown> {
  const next = { ...obj };
  if (v === undefined) delete next[key];
  else next[key] = v;
  return next;
}

const typeOf = (s: TSchema) => (Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type);

/** One property of the plugin's config schema as an input. */
function SchemaField({ id, name, schema, required, value, onChange }: { id: string; name: string; schema: TSchema; required: boolean; value: unknown; onChange: (v: unknown) => void }) {
  const t = typeOf(schema);
  const hint = [schema.description, schema.default !== undefined ? `default ${JSON.stringify(schema.default)}` : required ? "required" : "optional"].filter(Boolean).join("; ");
  const label = `${name}${required ? " *" : ""}`;
  if (schema.enum) {
    return (
      <Field label={label} htmlFor={id} hint={hint}>
        <select id={id} value={value === undefined ? "" : JSON.stringify(value)} onChange={(ev) => onChange(ev.target.value === "" ? undefined : (JSON.parse(ev.target.value) as unknown))}>
          <option value="">{schema.default !== undefined ? `(default ${String(schema.default)})` : "(unset)"}</option>
          {schema.enum.map((o) => (
            <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
              {String(o)}
            </option>
          ))}
        </select>
      </Field>
    );
  }
  if (t === "boolean") {
    return (
      <Field label={label} htmlFor={id} hint={hint}>
        <label className="check">
          <input id={id} type="checkbox" checked={value === undefined ? schema.default === true : value === true} onChange={(ev) => onChange(ev.target.checked)} /> {name}
        </label>
      </Field>
    );
  }
  if (t === "number" || t === "integer") {
    return (
      <Field label={label} htmlFor={id} hint={hint}>
        <input id={id} type="number" step={t === "integer" ? 1 : "any"} min={schema.minimum} max={schema.maximum} value={typeof value === "number" ? value : ""} placeholder={schema.default !== undefined ? String(schema.default) : ""} onChange={(ev) => onChange(ev.target.value === "" ? undefined : Number(ev.target.value))} />
      </Field>
    );
  }
  if (t === "string") {
    return (
      <Field label={label} htmlFor={id} hint={hint}>
        <input id={id} className="mono" value={typeof value === "string" ? value : ""} placeholder={typeof schema.default === "string" ? schema.default : ""} onChange={(ev) => onChange(ev.target.value === "" ? undefined : ev.target.value)} />
      </Field>
    );
  }
  if (t === "array" && typeOf(schema.items ?? {}) === "string") {
    return (
      <Field label={label} htmlFor={id} hint={`Comma-separated; ${hint}`}>
        <input id={id} className="mono" value={Array.isArray(value) ? value.join(", ") : ""} onChange={(ev) => onChange(ev.target.value.trim() === "" ? undefined : ev.target.value.split(",").map((x) => x.trim()).filter(Boolean))} />
      </Field>
    );
  }
  // Objects, mixed arrays, unions: JSON for this one field.
  return (
    <Field label={label} htmlFor={id} hint={`JSON; ${hint}`}>
      <textarea id={id} className="mono" rows={3} defaultValue={value === undefined ? "" : JSON.stringify(value, null, 2)} onBlur={(ev) => onChange(ev.target.value.trim() === "" ? undefined : jsonOrText(ev.target.value))} />
    </Field>
  );
}
