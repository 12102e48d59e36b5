import type { ReactNode } from "react";

/**
 * A labelled form control with its server-side errors under it. The control inside
 * must carry id={htmlFor}; errors get an id the caller can point aria-describedby at.
 */
export function Field(props: { label: string; htmlFor: string; errors?: string[]; hint?: ReactNode; children: ReactNode; className?: string }) {
  const errors = props.errors ?? [];
  return (
    <div className={`field${errors.length ? " field-invalid" : ""}${props.className ? ` ${props.className}` : ""}`}>
      <label htmlFor={props.htmlFor}>{props.label}</label>
      {props.children}
      {props.hint && !errors.length && <div className="hint">{props.hint}</div>}
      {errors.map((m, i) => (
        <div key={i} className="field-error" role="alert" id={`${props.htmlFor}-error${i ? `-${i}` : ""}`} data-field-error={props.htmlFor}>
          {m}
        </div>
      ))}
    </div>
  );
}

/** Issues that no field claims, with their full JSON path. */
export function IssueList({ issues }: { issues: { path: string; message: string }[] }) {
  if (!issues.length) return null;
  return (
    <div className="banner banner-error" role="alert">
      <strong>The config was not saved:</strong>
      <ul>
        {issues.map((i, n) => (
          <li key={n}>
            {i.path && <code>{i.path}</code>} {i.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
