"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { formatAgo, formatTime } from "../../../lib/format.ts";
import { useNow } from "../../../lib/use-now.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { useReadOnly } from "../../../components/read-only.tsx";
import { RolloutSteps } from "../../../components/rollout-steps.tsx";
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
  // Kept fresh by the console's live events (lib/live.ts), not by polling.
  const list = useQuery(trpc.rollouts.list.queryOptions());
  const selectedId = Number(params.get("id")) || list.data?.[0]?.id;
  const detail = useQuery({ ...trpc.rollouts.get.queryOptions({ id: selectedId ?? 0 }), enabled: !!selectedId });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
  const promote = useMutation(trpc.rollouts.promote.mutationOptions({ onSettled: refresh }));
  const pause = useMutation(trpc.rollouts.pause.mutationOptions({ onSettled: refresh }));
  const resume = useMutation(trpc.rollouts.resume.mutationOptions({ onSettled: refresh }));
  const rollback = useMutation(trpc.rollouts.rollback.mutationOptions({ onSettled: refresh }));
  const error = promote.error ?? pause.error ?? resume.error ?? rollback.error;
  // The bake countdown ticks here; the server's figures come with the live events.
  const now = useNow(1_000, !!detail.data?.bake);
  const busy = promote.isPending || pause.isPending || resume.isPending || rollback.isPending;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Rollouts</h1>
          <p className="muted">
            Versions published to one group first (Publish → one group), all of it at once (a canary) or a percentage of its nodes at a time (steps, each promoted by
            itself once it has held for its bake time). A node that refuses the version, or an SLO guard threshold crossed, rolls the whole group back by itself.
            Updates live.
          </p>
        </div>
      </div>
      <ErrorBanner error={error} />
      {list.data && list.data.length === 0 && <div className="empty">No rollout yet. Publish a version to one group from the Publish page.</div>}
      {list.data && list.data.length > 0 && (
        <table className="table" data-testid="rollouts">
          <TableHead columns={["#", "Version", "Group", "State", "Steps", "By", "Started", "Reason"]} />
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
                  {r.pausedAt && r.state === "canary" && <span className="tag tag-redirect">paused</span>}
                </td>
                <td className="small">{r.steps ? (r.state === "canary" ? `step ${r.stepIndex + 1}/${r.steps.length}: ${r.steps[r.stepIndex]}%` : r.steps.join(" → ") + " %") : "whole group"}</td>
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
              {detail.data.rollout.steps && detail.data.rollout.stepIndex < detail.data.rollout.steps.length - 1 && (
                <button type="button" className="btn btn-primary" hidden={readOnly} disabled={busy} onClick={() => promote.mutate({ id: detail.data.rollout.id, to: "next" })}>
                  Promote to {detail.data.rollout.steps[detail.data.rollout.stepIndex + 1]}% now
                </button>
              )}
              <button type="button" className={detail.data.rollout.steps ? "btn" : "btn btn-primary"} hidden={readOnly} disabled={busy} onClick={() => promote.mutate({ id: detail.data.rollout.id, to: "all" })}>
                Promote to all nodes
              </button>
              {detail.data.rollout.steps &&
                (detail.data.rollout.pausedAt ? (
                  <button type="button" className="btn" hidden={readOnly} disabled={busy} onClick={() => resume.mutate({ id: detail.data.rollout.id })}>
                    Resume
                  </button>
                ) : (
                  <button type="button" className="btn" hidden={readOnly} disabled={busy} onClick={() => pause.mutate({ id: detail.data.rollout.id })}>
                    Pause
                  </button>
                ))}
              <button type="button" className="btn btn-danger" hidden={readOnly} disabled={busy} onClick={() => rollback.mutate({ id: detail.data.rollout.id })}>
                Roll back the group
              </button>
            </div>
          )}
          {detail.data.rollout.steps && (
            <>
              <h3>Steps</h3>
              <RolloutSteps
                steps={detail.data.rollout.steps}
                stepIndex={detail.data.rollout.stepIndex}
                state={detail.data.rollout.state}
                version={detail.data.rollout.version}
                previousVersion={detail.data.rollout.previousVersion}
                bake={detail.data.bake && { ...detail.data.bake, remainingMs: Math.max(0, detail.data.bake.remainingMs - (now - detail.dataUpdatedAt)) }}
                nodes={detail.data.nodes}
              />
            </>
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
          <h3 hidden={!!detail.data.rollout.steps}>Nodes of the group</h3>
          <ul className="small" hidden={!!detail.data.rollout.steps}>
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
