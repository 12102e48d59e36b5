"use client";
import type { ReactNode } from "react";
import { Field } from "./field.tsx";
import { defaultHint } from "./form-rows.tsx";

/**
 * The field rows every structured form repeats, each with its label, its errors under it
 * and the schema's default in its hint and placeholder (empty = the default).
 */

/** A number input; `def` is the schema's default, `extra` more words for the hint. */
export function NumberField(props: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  errors?: string[];
  def?: number;
  extra?: string;
  hint?: ReactNode;
  min?: number;
  max?: number;
  step?: string;
  placeholder?: string;
}) {
  const hint = props.hint ?? (props.def !== undefined ? defaultHint(props.def, props.extra) : props.extra);
  return (
    <Field label={props.label} htmlFor={props.id} errors={props.errors} hint={hint}>
      <input
        id={props.id}
        type="number"
        min={props.min ?? 0}
        max={props.max}
        step={props.step}
        value={props.value}
        placeholder={props.placeholder ?? (props.def !== undefined ? String(props.def) : undefined)}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </Field>
  );
}

/** A text input (monospace for paths, names, addresses). */
export function TextField(props: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  errors?: string[];
  hint?: ReactNode;
  placeholder?: string;
  mono?: boolean;
}) {
  return (
    <Field label={props.label} htmlFor={props.id} errors={props.errors} hint={props.hint}>
      <input id={props.id} className={props.mono ? "mono" : undefined} value={props.value} placeholder={props.placeholder} onChange={(e) => props.onChange(e.target.value)} autoComplete="off" />
    </Field>
  );
}

/** A select of fixed choices. */
export function SelectField<T extends string>(props: {
  id: string;
  label: string;
  value: T;
  onChange: (value: T) => void;
  options: readonly { value: T | ""; label: string }[];
  errors?: string[];
  hint?: ReactNode;
}) {
  return (
    <Field label={props.label} htmlFor={props.id} errors={props.errors} hint={props.hint}>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.target.value as T)}>
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** Names to choose from for a select, keeping the stored value even when the list does not hold it (yet). */
export function namesWith(names: readonly string[], current: string): { value: string; label: string }[] {
  const all = current && !names.includes(current) ? [...names, current] : names;
  return all.map((n) => ({ value: n, label: n }));
}

/** A checkbox with its default, e.g. "Allow WebSocket upgrades (default off)". */
export function CheckRow(props: { label: ReactNode; checked: boolean; onChange: (checked: boolean) => void; def: ReactNode; id?: string; className?: string }) {
  return (
    <label className={props.className ?? "check"}>
      <input id={props.id} type="checkbox" checked={props.checked} onChange={(e) => props.onChange(e.target.checked)} /> {props.label}{" "}
      <span className="muted small">({props.def})</span>
    </label>
  );
}

/** `on` / `off` for a boolean default. */
export function onOff(value: boolean): string {
  return `default ${value ? "on" : "off"}`;
}

/** Messages that belong to a group rather than one input (shown where the group starts). */
export function FieldErrors({ messages, field }: { messages: readonly string[]; field?: string }) {
  return (
    <>
      {messages.map((m, i) => (
        <div key={i} className="field-error" role="alert" data-field-error={field}>
          {m}
        </div>
      ))}
    </>
  );
}

/** A group of checkboxes over fixed values (methods, retry conditions). */
export function CheckGroup<T extends string>(props: { id: string; label: ReactNode; values: readonly T[]; checked: readonly T[]; onChange: (checked: T[]) => void; errors: string[] }) {
  return (
    <div className={`field${props.errors.length ? " field-invalid" : ""}`} role="group" aria-labelledby={`${props.id}-label`}>
      <span id={`${props.id}-label`} className="label">
        {props.label}
      </span>
      <div className="checks">
        {props.values.map((v) => (
          <label key={v} className="check">
            <input type="checkbox" checked={props.checked.includes(v)} onChange={(e) => props.onChange(e.target.checked ? [...props.checked, v] : props.checked.filter((x) => x !== v))} />
            {v}
          </label>
        ))}
      </div>
      <FieldErrors messages={props.errors} field={props.id} />
    </div>
  );
}

/** A segmented radio group (one choice among a few, e.g. the route's action). */
export function Segmented<T extends string>(props: { name: string; label: string; options: readonly { value: T; label: string }[]; value: T; onChange: (value: T) => void }) {
  return (
    <div className="segmented" role="radiogroup" aria-label={props.label}>
      {props.options.map((o) => (
        <label key={o.value} className={props.value === o.value ? "active" : undefined}>
          <input type="radio" name={props.name} value={o.value} checked={props.value === o.value} onChange={() => props.onChange(o.value)} />
          {o.label}
        </label>
      ))}
    </div>
  );
}
