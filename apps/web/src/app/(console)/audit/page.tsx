"use client";
import { useQuery } from "@tanstack/react-query";
import { formatChanges, type TConfigChange } from "@switchyard/config-model";
import { useState } from "react";
import { formatTime } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { TableHead } from "../../../components/ui.tsx";

/** Action families for the filter; a value ending in "." matches the whole family. */
const ACTIONS = [
  ["", "all"],
  ["config.", "config changes"],
  ["version.", "publishes and rollbacks"],
  ["rollout.", "rollout steps"],
  ["auth.", "logins and logouts"],
  ["api_token.", "API tokens"],
  ["node_token.", "node tokens"],
  ["node.", "refused nodes"],
  ["user.", "users"],
  ["secrets.", "secret key rotation"],
] as const;

export default function AuditPage() {
  const trpc = useTRPC();
  const [filters, setFilters] = useState({ actor: "", action: "", target: "" });
  const [pages, setPages] = useState<number[]>([]);
  const beforeId = pages.at(-1);
  const input = {
    limit: 100,
    ...(filters.actor.trim() ? { actor: filters.actor.trim() } : {}),
    ...(filters.action ? { action: filters.action } : {}),
    ...(filters.target.trim() ? { target: filters.target.trim() } : {}),
    ...(beforeId ? { beforeId } : {}),
  };
  const audit = useQuery({ ...trpc.audit.list.queryOptions(input), refetchInterval: beforeId ? false : 5_000 });
  const set = (patch: Partial<typeof filters>) => {
    setFilters({ ...filters, ...patch });
    setPages([]);
  };

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Audit log</h1>
          <p className="muted">Every change, publish, rollback, rollout step, login and token event: who, when, from where and what changed. Append-only.</p>
        </div>
      </div>
      <div className="card form grid-2" role="search">
        <div className="field">
          <label htmlFor="audit-actor">Who</label>
          <input id="audit-actor" value={filters.actor} onChange={(e) => set({ actor: e.target.value })} placeholder="e-mail, api-token, slo-guard…" />
        </div>
        <div className="field">
          <label htmlFor="audit-action">What</label>
          <select id="audit-action" value={filters.action} onChange={(e) => set({ action: e.target.value })}>
            {ACTIONS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-target">Target</label>
          <input id="audit-target" value={filters.target} onChange={(e) => set({ target: e.target.value })} placeholder="v12, rollout/3, user e-mail…" />
        </div>
      </div>
      {audit.data && audit.data.length === 0 && <div className="empty">Nothing matches.</div>}
      {audit.data && audit.data.length > 0 && (
        <table className="table" data-testid="audit">
          <TableHead columns={["When", "Who", "From", "Action", "Target", "Details"]} />
          <tbody>
            {audit.data.map((a) => (
              <tr key={a.id} data-action={a.action}>
                <td className="small">{formatTime(a.at)}</td>
                <td className="small">{a.actor}</td>
                <td className="small mono">{a.ip ?? <span className="muted">—</span>}</td>
                <td>
                  <span className="tag">{a.action}</span>
                </td>
                <td className="small">{a.target ?? ""}</td>
                <td className="small">
                  <Details details={a.details} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="actions">
        {pages.length > 0 && (
          <button type="button" className="btn btn-ghost" onClick={() => setPages(pages.slice(0, -1))}>
            Newer
          </button>
        )}
        {audit.data && audit.data.length === 100 && (
          <button type="button" className="btn btn-ghost" onClick={() => setPages([...pages, audit.data.at(-1)!.id])}>
            Older
          </button>
        )}
      </div>
    </>
  );
}

/** The diff lines when the entry has them, else the details as JSON. */
function Details({ details }: { details: unknown }) {
  if (details === null || details === undefined) return <span className="muted">—</span>;
  // Working-config writes carry their structured change set; publishes the diff as lines.
  const d = details as { diff?: unknown; changes?: unknown; [k: string]: unknown };
  const { diff, changes, ...rest } = d;
  const lines = Array.isArray(changes) ? formatChanges(changes as TConfigChange[]) : Array.isArray(diff) ? diff.map(String) : [];
  return (
    <>
      {lines.length > 0 && (
        <pre className="mono small" data-testid="audit-diff">
          {lines.join("\n")}
        </pre>
      )}
      {Object.keys(rest).length > 0 && <code className="mono small">{JSON.stringify(rest)}</code>}
    </>
  );
}
