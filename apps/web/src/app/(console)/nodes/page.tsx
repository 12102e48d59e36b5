"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect } from "react";
import { formatAgo, formatTime, shortHash } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { ErrorBanner, TableHead } from "../../../components/ui.tsx";
import { GroupInventory } from "../../../components/group-inventory.tsx";

/** The console flags a node drifting this long after its target changed (rollout/service.ts). */
const DRIFT_AFTER_MS = 30_000;

export default function NodesPage() {
  const trpc = useTRPC();
  // Kept current by the live events (node hello / ack / nack / disconnect, versions), not polled.
  const nodes = useQuery(trpc.nodes.list.queryOptions());
  const versions = useQuery(trpc.versions.list.queryOptions({ limit: 1 }));
  const live = versions.data?.[0];
  const refusals = useQuery(trpc.nodes.refusals.queryOptions());
  // Drift is a matter of time, not of an event: look again when a pending node may cross the line.
  const pending = nodes.data?.some((n) => n.pendingVersion !== null && !n.drifting) ?? false;
  const { refetch } = nodes;
  useEffect(() => {
    if (!pending) return;
    const timer = setTimeout(() => void refetch(), DRIFT_AFTER_MS + 1_000);
    return () => clearTimeout(timer);
  }, [pending, refetch, nodes.dataUpdatedAt]);

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Nodes</h1>
          <p className="muted">
            Proxy nodes that connected to this control plane. Latest version: {live ? `v${live.version}` : "none"}. Each node’s target is its group’s version (a
            canary) or the stable one; a node more than 30 s behind its target is flagged drifting. Updates live.
          </p>
        </div>
      </div>
      <ErrorBanner error={nodes.isError && nodes.error} />
      {nodes.isPending && <p className="muted">Loading…</p>}
      {nodes.data && nodes.data.length === 0 && (
        <div className="empty">
          No node has connected yet. Start one with <code>npx switchyard-proxy --control-plane ws://HOST:PORT/api/xds --node-id NAME</code>.
        </div>
      )}
      {nodes.data && nodes.data.length > 0 && (
        <table className="table" aria-live="polite">
          <TableHead columns={["Node", "Group / labels", "Status", "Applied version", "Target", "Last ack / nack", "Last seen"]} />
          <tbody>
            {nodes.data.map((n) => {
              const behind = n.pendingVersion !== null;
              return (
                <tr key={n.id} data-node-id={n.id}>
                  <td>
                    <Link href={`/nodes/${encodeURIComponent(n.id)}`}>
                      <strong>{n.id}</strong>
                    </Link>{" "}
                    <Link className="small" href={`/traces?node=${encodeURIComponent(n.id)}`}>
                      traces
                    </Link>
                  </td>
                  <td>
                    {n.group}
                    <div className="small muted" data-testid="labels">
                      {Object.entries(n.labels)
                        .map(([k, v]) => `${k}=${v}`)
                        .join(" ") || "no labels"}
                    </div>
                  </td>
                  <td>
                    <span className={`status ${n.connected ? "status-up" : "status-down"}`}>{n.connected ? "connected" : "disconnected"}</span>
                  </td>
                  <td data-testid="applied-version">
                    {n.appliedVersion === null || n.appliedVersion === undefined ? (
                      <span className="muted">none</span>
                    ) : (
                      <>
                        v{n.appliedVersion} <span className="mono small muted">{shortHash(n.appliedHash)}</span>
                      </>
                    )}
                  </td>
                  <td data-testid="target-version">
                    {n.targetVersion === null ? <span className="muted">—</span> : <>v{n.targetVersion}</>}
                    {behind && <span className="tag tag-warn">pending v{n.pendingVersion}</span>}
                    {n.drifting && (
                      <span className="tag tag-redirect" title="Applied version differs from the target for more than 30 s" data-testid="drifting">
                        drifting
                      </span>
                    )}
                  </td>
                  <td className="small">
                    {n.lastAckAt ? <div>ack {formatAgo(n.lastAckAt)}</div> : null}
                    {n.lastError ? (
                      <span className="text-error">
                        nack v{n.nackedVersion} {formatAgo(n.lastNackAt)}: {n.lastError}
                      </span>
                    ) : (
                      !n.lastAckAt && <span className="muted">—</span>
                    )}
                  </td>
                  <td className="small" title={formatTime(n.lastSeen)}>
                    {formatAgo(n.lastSeen)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {nodes.data && nodes.data.length > 0 && <GroupInventory />}
      {refusals.data && refusals.data.length > 0 && (
        <section className="card" data-testid="refusals">
          <h2>Refused connections</h2>
          <p className="muted small">Nodes turned away on /api/xds (missing, unknown or revoked node token, or a token of another group).</p>
          <table className="table">
            <tbody>
              {refusals.data.map((r) => (
                <tr key={r.id}>
                  <td className="small" title={formatTime(r.at)}>
                    {formatAgo(r.at)}
                  </td>
                  <td className="small mono">{r.ip ?? "—"}</td>
                  <td className="small">{r.nodeId ?? <span className="muted">before hello</span>}</td>
                  <td className="small">{r.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
