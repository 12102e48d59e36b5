"use client";
import { useState } from "react";
import { stringify } from "yaml";
import { formatValue, type TResourceDiff, type TStructuralDiff } from "../lib/structural-diff.ts";

const KIND_LABELS: Record<TResourceDiff["kind"], string> = {
  listeners: "Listeners",
  routeConfigs: "Route configs",
  routes: "Routes",
  clusters: "Clusters",
  secrets: "Secrets",
  rateLimitPolicies: "Rate-limit policies",
};
const SIGN = { add: "+", remove: "−", change: "~" } as const;
const CLASS = { add: "diff-added", remove: "diff-removed", change: "diff-changed" } as const;
const WORD = { add: "added", remove: "removed", change: "changed" } as const;

/**
 * A structural diff the way `terraform plan` shows one: per resource, each changed value
 * with its before and after; added and removed resources whole; reordered routes marked
 * (their order decides which route matches).
 */
export function ChangesView({ changes, label, empty }: { changes: TStructuralDiff; label: string; empty: string }) {
  if (changes.empty) return <p className="muted">{empty}</p>;
  return (
    <ul className="diff" aria-label={label}>
      {changes.resources.map((r) => (
        <ResourceChanges key={`${r.kind}/${r.scope ?? ""}/${r.name}`} r={r} />
      ))}
    </ul>
  );
}

function ResourceChanges({ r }: { r: TResourceDiff }) {
  const whole = r.op !== "change" ? r.changes[0] : undefined;
  // An added or removed resource can be large (a route config of 300 routes): its value
  // is rendered when asked for, so the list stays one line per resource.
  const [open, setOpen] = useState(false);
  return (
    <li className={CLASS[r.op]} data-resource={`${r.kind}/${r.scope ? `${r.scope}/` : ""}${r.name}`}>
      <span className="diff-sign" aria-label={WORD[r.op]}>
        {r.moved && r.changes.length === 0 ? "↕" : SIGN[r.op]}
      </span>{" "}
      {KIND_LABELS[r.kind]} / {r.scope && <span className="muted">{r.scope} / </span>}
      <strong>{r.name}</strong>
      {r.moved && (
        <span className="tag tag-warn" data-testid="moved" title="The order of routes decides which one matches first">
          moved #{r.moved.from} → #{r.moved.to}
        </span>
      )}
      {whole && (
        <button type="button" className="linkish small diff-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? "hide" : r.op === "add" ? "show the new value" : "show the removed value"}
        </button>
      )}
      {whole && open && <pre className="mono small code-view diff-whole">{stringify(r.op === "add" ? whole.after : whole.before).trimEnd()}</pre>}
      {r.op === "change" && r.changes.length > 0 && (
        <table className="diff-values">
          <tbody>
            {r.changes.map((c, i) => (
              <tr key={i} className={CLASS[c.op]}>
                <td className="mono small diff-path">{c.path || "(whole)"}</td>
                <td className="mono small diff-before">{c.op === "add" ? <span className="muted">(unset)</span> : formatValue(c.before)}</td>
                <td aria-hidden="true" className="muted">
                  →
                </td>
                <td className="mono small diff-after">{c.op === "remove" ? <span className="muted">(unset)</span> : formatValue(c.after)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </li>
  );
}
