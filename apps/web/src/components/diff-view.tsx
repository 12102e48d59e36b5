import type { TConfigDiff } from "@switchyard/config-model";

const KIND_LABELS = {
  listeners: "Listeners",
  routeConfigs: "Route configs",
  clusters: "Clusters",
  secrets: "Secrets",
  rateLimitPolicies: "Rate-limit policies",
} as const;

/** The semantic diff of two configs: per kind, what is added, removed and changed (which fields). */
export function DiffView({ diff }: { diff: TConfigDiff }) {
  if (diff.empty) return <p className="muted">No changes: the working config equals the live version.</p>;
  return (
    <ul className="diff" aria-label="Pending changes">
      {(Object.keys(KIND_LABELS) as (keyof typeof KIND_LABELS)[]).flatMap((kind) => {
        const d = diff[kind];
        return [
          ...d.added.map((name) => (
            <li key={`${kind}+${name}`} className="diff-added">
              <span className="diff-sign" aria-label="added">+</span> {KIND_LABELS[kind]} / <strong>{name}</strong>
            </li>
          )),
          ...d.removed.map((name) => (
            <li key={`${kind}-${name}`} className="diff-removed">
              <span className="diff-sign" aria-label="removed">−</span> {KIND_LABELS[kind]} / <strong>{name}</strong>
            </li>
          )),
          ...d.changed.map((c) => (
            <li key={`${kind}~${c.name}`} className="diff-changed">
              <span className="diff-sign" aria-label="changed">~</span> {KIND_LABELS[kind]} / <strong>{c.name}</strong>
              <ul className="diff-fields">
                {c.fields.map((f) => (
                  <li key={f} className="mono small">
                    {f}
                  </li>
                ))}
              </ul>
            </li>
          )),
        ];
      })}
    </ul>
  );
}
