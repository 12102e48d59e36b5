"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { formatAgo, formatTime } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { useReadOnly } from "../../../components/read-only.tsx";
import { ErrorBanner, TableHead } from "../../../components/ui.tsx";

const STATE_TAG: Record<string, string> = { canary: "tag-warn", promoted: "tag-live", rolled_back: "tag-redirect", superseded: "tag-direct" };

function pct(x: number | undefined | null): string {
  return x === undefined || x === null ? "—" : `${(x * 100).toFixed(1)}%`;
}

function RolloutsView() {
  const trpc = useTRPC();
  const readOnly = useReadOnly();
  const router = useRouter();
  const params = useSearchParams();
  const queryClient = useQueryClient();
  const list = useQuery({ ...trpc.rollouts.list.queryOptions(), refetchInterval: 2_000, staleTime: 0 });
  const selectedId = Number(params.get("id")) || list.data?.[0]?.id;
  const detail = useQuery({ ...trpc.rollouts.get.queryOptions({ id: selectedId ?? 0 }), enabled: !!selectedId, refetchInterval: 2_000, staleTime: 0 });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
  const promote = useMutation(trpc.rollouts.promote.mutationOptions({ onSettled: refresh }));
  const rollback = useMutation(trpc.rollouts.rollback.mutationOptions({ onSettled: refresh }));
  const error = promote.error ?? rollback.error;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Rollouts</h1>
          <p className="muted">
            Versions published to one group first (Publish → one group). A canary node that refuses the version, or an SLO guard threshold crossed, rolls the group
            back by itself. Refreshes every 2 seconds.
          </p>
        </div>
      </div>
      <ErrorBanner error={error} />
      {list.data && list.data.length === 0 && <div className="empty">No rollout yet. Publish a version to one group from the Publish page.</div>}
      {list.data && list.data.length > 0 && (
        <table className="table" data-testid="rollouts">
          <TableHead columns={["#", "Version", "Group", "State", "By", "Started", "Reason"]} />
          <tbody>
            {list.data.map((r) => (
              <tr key={r.id} data-rollout-id={r.id} className={r.id === selectedId ? "row-selected" : undefined} onClick={() => router.replace(`/rollouts?id=${r.id}`)} style={{ cursor: "pointer" }}>
                <td>{r.id}</td>
                <td>
                  v{r.version} <span className="muted small">from v{r.previousVersion ?? "—"}</span>
                </td>
                <td>{r.group}</td>
                <td>
                  <span className={`tag ${STATE_TAG[r.state] ?? ""}`} data-testid="rollout-state">
                    {r.state.replace("_", " ")}
                  </span>
                </td>
                <td className="small">{r.createdBy}</td>
                <td className="small" title={formatTime(r.startedAt)}>
                  {formatAgo(r.startedAt)}
                </td>
                <td className="small">{r.reason ?? <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {detail.data && (
        <section className="card" data-testid="rollout-detail">
          <h2>
            Rollout #{detail.data.rollout.id}: v{detail.data.rollout.version} on group “{detail.data.rollout.group}”
          </h2>
          {detail.data.rollout.state === "canary" && (
            <div className="actions">
              <button type="button" className="btn btn-primary" hidden={readOnly} disabled={promote.isPending} onClick={() => promote.mutate({ id: detail.data.rollout.id })}>
                Promote to all nodes
              </button>
              <button type="button" className="btn btn-danger" hidden={readOnly} disabled={rollback.isPending} onClick={() => rollback.mutate({ id: detail.data.rollout.id })}>
                Roll back the group
              </button>
            </div>
          )}
          <h3>SLO guard</h3>
          {detail.data.rollout.guard === null ? (
            <p className="muted">No guard on this rollout (nacks still stop it).</p>
          ) : (
            <table className="table">
              <tbody>
                <tr>
                  <th scope="row">Thresholds</th>
                  <td className="mono small">{JSON.stringify(detail.data.rollout.guard)}</td>
                </tr>
                <tr>
                  <th scope="row">Baseline (before the change)</th>
                  <td className="small">{figures(detail.data.rollout.baseline as TFigures | null)}</td>
                </tr>
                {detail.data.guard && (
                  <tr>
                    <th scope="row">Now ({detail.data.guard.verdict})</th>
                    <td className="small">
                      {figures(detail.data.guard.current)} {detail.data.guard.reasons.length > 0 && <span className="muted">— {detail.data.guard.reasons.join("; ")}</span>}
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          )}
          <h3>Nodes of the group</h3>
          <ul className="small">
            {detail.data.nodes.map((n) => (
              <li key={n.id}>
                <strong>{n.id}</strong> {n.connected ? "connected" : "disconnected"}, applied v{n.appliedVersion ?? "—"}
                {n.pendingVersion !== null && <> (pending v{n.pendingVersion})</>}
                {n.nackedVersion !== null && <span className="text-error"> nacked v{n.nackedVersion}</span>}
              </li>
            ))}
          </ul>
          <h3>Events</h3>
          <ol className="small" data-testid="rollout-events">
            {detail.data.rollout.events.map((e) => (
              <li key={e.id}>
                <span className="muted" title={formatTime(e.at)}>
                  {formatTime(e.at)}
                </span>{" "}
                <span className="tag">{e.kind}</span> {e.message}
              </li>
            ))}
          </ol>
        </section>
      )}
    </>
  );
}

type TFigures = { requests: number; errors5xx: number; errorRatio: number; p99Ms: number | null };

function figures(f: TFigures | null): string {
  if (!f) return "not measured yet";
  return `${f.requests} requests, ${f.errors5xx} 5xx (${pct(f.errorRatio)}), p99 ${f.p99Ms === null ? "—" : `${f.p99Ms} ms`}`;
}

export default function RolloutsPage() {
  // useSearchParams needs a Suspense boundary for the static build.
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <RolloutsView />
    </Suspense>
  );
}
