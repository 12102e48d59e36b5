"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "../lib/trpc.ts";
import { issuesOf, messageOf } from "../lib/trpc-errors.ts";
import { useReadOnly } from "./read-only.tsx";


/** "address:port [weight]" per line, the format of the eds editor. */
function parseLines(text: string): { endpoints: { address: string; port: number; weight: number }[]; error: string | null } {
  const endpoints = [];
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  for (const [i, line] of lines.entries()) {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:]+):(\d{1,5})(?:\s+(\d+))?$/.exec(line);
    if (!m) return { endpoints: [], error: `line ${i + 1}: expected "address:port [weight]", got "${line}"` };
    endpoints.push({ address: (m[1] as string).replace(/^\[|\]$/g, ""), port: Number(m[2]), weight: m[3] ? Number(m[3]) : 1 });
  }
  return { endpoints, error: null };
}

/**
 * Where a cluster's endpoints come from and their live health on every node; for
 * `discovery: eds` clusters also the console-managed list, saved without a config version.
 */
export function ClusterEndpoints({ name }: { name: string }) {
  const trpc = useTRPC();
  const readOnly = useReadOnly();
  const queryClient = useQueryClient();
  // Kept current by the live events (a managed set saved anywhere, a node's health report), not polled.
  const view = useQuery(trpc.clusters.endpoints.queryOptions({ name }));
  const [draft, setDraft] = useState<string | null>(null);
  const [parseError, setParseError] = useState<string | null>(null);
  const save = useMutation(
    trpc.clusters.setEndpoints.mutationOptions({
      onSuccess: async () => {
        setDraft(null);
        await queryClient.invalidateQueries({ queryKey: trpc.clusters.endpoints.queryKey({ name }) });
      },
    }),
  );
  if (view.isError) return <p className="banner banner-error">{view.error.message}</p>;
  if (!view.data) return <p className="muted">Loading endpoints…</p>;
  const v = view.data;
  const managedText = v.managed ? v.managed.endpoints.map((e) => `${e.address.includes(":") ? `[${e.address}]` : e.address}:${e.port} ${e.weight}`).join("\n") : "";

  const firstIssue = issuesOf(save.error)[0];
  const errorText = parseError ?? (save.error ? (firstIssue ? `${firstIssue.path}: ${firstIssue.message}` : messageOf(save.error)) : null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseLines(draft ?? managedText);
    setParseError(parsed.error);
    if (!parsed.error) save.mutate({ name, endpoints: parsed.endpoints });
  };

  return (
    <section className="panel" aria-labelledby="endpoints-head" data-testid="cluster-endpoints">
      <h2 id="endpoints-head">Endpoints</h2>
      <p>
        Source: <strong data-testid="endpoints-origin">{v.origin}</strong>
      </p>
      {v.discovery === "eds" && (
        <form className="form" onSubmit={submit}>
          <label htmlFor="eds-endpoints">
            Managed endpoints{v.managed ? ` (version ${v.managed.version}, by ${v.managed.updatedBy})` : " (none pushed yet: nodes serve the config's list)"} — one
            <code> address:port [weight]</code> per line
          </label>
          <textarea id="eds-endpoints" readOnly={readOnly} rows={6} value={draft ?? managedText} onChange={(e) => setDraft(e.target.value)} />
          {errorText && (
            <p className="banner banner-error" role="alert">
              {errorText}
            </p>
          )}
          <button type="submit" disabled={save.isPending} hidden={readOnly}>
            Push endpoints
          </button>
        </form>
      )}
      {v.nodes.length === 0 && <p className="muted">No node has reported this cluster yet.</p>}
      {v.nodes.map((n) => (
        <div key={n.nodeId} data-testid="node-endpoints">
          <h3>
            {n.nodeId} {n.connected ? "" : <span className="muted">(disconnected; last report {new Date(n.reportedAt).toLocaleString()})</span>}
          </h3>
          <p className="muted">
            {n.source}
            {n.endpointsVersion !== null && ` · endpoints version ${n.endpointsVersion}`}
            {n.ack && !n.ack.ok && ` · refused version ${n.ack.version}: ${n.ack.error}`}
            {n.updatedAt !== null && ` · updated ${new Date(n.updatedAt).toLocaleTimeString()}`}
          </p>
          {n.lastError && (
            <p className="banner banner-error">
              Discovery failing ({n.failures} failures so far), last endpoints kept: {n.lastError}
            </p>
          )}
          <table className="table">
            <thead>
              <tr>
                <th>Endpoint</th>
                <th>Weight</th>
                <th>Health</th>
                <th>Active requests</th>
              </tr>
            </thead>
            <tbody>
              {n.endpoints.map((e) => (
                <tr key={`${e.address}:${e.port}`}>
                  <td>
                    {e.address.includes(":") ? `[${e.address}]` : e.address}:{e.port}
                  </td>
                  <td>{e.weight}</td>
                  <td>{e.ejected ? "ejected" : e.health}</td>
                  <td>{e.activeRequests}</td>
                </tr>
              ))}
              {n.endpoints.length === 0 && (
                <tr>
                  <td colSpan={4} className="muted">
                    no endpoints (requests get 503 UH)
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}
