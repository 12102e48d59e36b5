"use client";
import type { ReactNode } from "react";

export type TRowColumn<T> = { header: string; cell: (row: T, index: number) => ReactNode };

/**
 * An editable list of rows (header matchers, weighted clusters, mirrors...): one table
 * row per item, a Remove button each, an Add button below, and the issues of each row
 * (`errorsOf(index)`) right under it.
 */
export function FormRows<T extends { key: number }>(props: {
  id: string;
  legend: string;
  hint?: ReactNode;
  rows: T[];
  columns: TRowColumn<T>[];
  onChange: (rows: T[]) => void;
  make: () => T;
  addLabel: string;
  /** Singular noun used in the Remove buttons' labels, e.g. "header matcher". */
  noun: string;
  errorsOf: (index: number) => string[];
  listErrors?: string[];
}) {
  const { rows, columns } = props;
  return (
    <div className="field" role="group" aria-labelledby={`${props.id}-legend`}>
      <span id={`${props.id}-legend`} className="label">
        {props.legend}
      </span>
      {props.hint && <div className="hint">{props.hint}</div>}
      {(props.listErrors ?? []).map((m, i) => (
        <div key={i} className="field-error" role="alert">
          {m}
        </div>
      ))}
      {rows.length > 0 && (
        <table className="table table-edit rows-table">
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.header} scope="col">
                  {c.header}
                </th>
              ))}
              <th scope="col">
                <span className="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.flatMap((row, i) => {
              const errors = props.errorsOf(i);
              const out = [
                <tr key={row.key} className={errors.length ? "row-invalid" : undefined} data-row={`${props.id}-${i}`}>
                  {columns.map((c) => (
                    <td key={c.header}>{c.cell(row, i)}</td>
                  ))}
                  <td>
                    <button type="button" className="btn btn-ghost btn-small" aria-label={`Remove ${props.noun} ${i + 1}`} onClick={() => props.onChange(rows.filter((r) => r.key !== row.key))}>
                      Remove
                    </button>
                  </td>
                </tr>,
              ];
              if (errors.length) {
                out.push(
                  <tr key={`${row.key}-errors`}>
                    <td colSpan={columns.length + 1}>
                      {errors.map((m, n) => (
                        <div key={n} className="field-error" role="alert" data-field-error={`${props.id}-${i}`}>
                          {m}
                        </div>
                      ))}
                    </td>
                  </tr>,
                );
              }
              return out;
            })}
          </tbody>
        </table>
      )}
      <div>
        <button type="button" className="btn btn-small" onClick={() => props.onChange([...rows, props.make()])}>
          {props.addLabel}
        </button>
      </div>
    </div>
  );
}

/** A number input whose placeholder and hint show the schema's default (empty = the default). */
export function defaultHint(def: number | string | boolean, extra?: string): string {
  return `Default ${String(def)}${extra ? `; ${extra}` : ""}. Empty = default.`;
}

type TCellOptions<T> = {
  type?: "text" | "number" | "checkbox" | "select";
  options?: readonly { value: string; label: string }[];
  mono?: boolean;
  placeholder?: string | ((row: T) => string | undefined);
  min?: number;
  max?: number;
  inputMode?: "decimal" | "numeric";
  disabled?: (row: T) => boolean;
  id?: (index: number) => string;
};

/**
 * A FormRows cell that edits one field of its row (a text or number input, a select or a
 * checkbox), labelled for screen readers as `<noun> <n> <field>`.
 */
export function rowCell<T extends { key: number }>(rows: T[], onChange: (rows: T[]) => void, field: keyof T & string, label: (index: number) => string, opts: TCellOptions<T> = {}) {
  const patch = (key: number, value: unknown) => onChange(rows.map((r) => (r.key === key ? { ...r, [field]: value } : r)));
  return function Cell(row: T, i: number): ReactNode {
    const common = { id: opts.id?.(i), "aria-label": label(i), disabled: opts.disabled?.(row) };
    if (opts.type === "checkbox") return <input type="checkbox" {...common} checked={Boolean(row[field])} onChange={(e) => patch(row.key, e.target.checked)} />;
    if (opts.type === "select") {
      return (
        <select {...common} value={String(row[field])} onChange={(e) => patch(row.key, e.target.value)}>
          {(opts.options ?? []).map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      );
    }
    const placeholder = typeof opts.placeholder === "function" ? opts.placeholder(row) : opts.placeholder;
    return (
      <input
        {...common}
        type={opts.type === "number" ? "number" : undefined}
        className={opts.mono ? "mono" : undefined}
        min={opts.min}
        max={opts.max}
        inputMode={opts.inputMode}
        placeholder={placeholder}
        value={String(row[field])}
        onChange={(e) => patch(row.key, e.target.value)}
      />
    );
  };
}
