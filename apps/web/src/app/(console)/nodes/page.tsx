"use client";
import { useQuery } from "@tanstack/react-query";
import { formatAgo, formatTime, shortHash } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";

export default function NodesPage() {
  const trpc = useTRPC();
  // Every 2 s, also in the background: a rollout is watched from this page.
  const nodes = useQuery({ ...trpc.nodes.list.queryOptions(), refetchInterval: 2_000, refetchIntervalInBackground: true, staleTime: 0 });
  const versions = useQuery({ ...trpc.versions.list.queryOptions({ limit: 1 }), refetchInterval: 2_000, staleTime: 0 });
  const live = versions.data?.[0];

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Nodes</h1>
          <p className="muted">
            Proxy nodes that connected to this control plane. Live version: {live ? `v${live.version}` : "none"}. Refreshes every 2 seconds.
          </p>
        </div>
      </div>
      {nodes.isError && (
        <p className="banner banner-error" role="alert">
          {nodes.error.message}
        </p>
      )}
      {nodes.isPending && <p className="muted">Loading…</p>}
      {nodes.data && nodes.data.length === 0 && (
        <div className="empty">
          No node has connected yet. Start one with <code>npx switchyard-proxy --control-plane ws://HOST:PORT/api/xds --node-id NAME</code>.
        </div>
      )}
      {nodes.data && nodes.data.length > 0 && (
        <table className="table" aria-live="polite">
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Group</th>
              <th scope="col">Status</th>
              <th scope="col">Applied version</th>
              <th scope="col">Last error</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {nodes.data.map((n) => {
              const behind = live && n.appliedVersion !== live.version;
              return (
                <tr key={n.id} data-node-id={n.id}>
                  <td>
                    <strong>{n.id}</strong>
                  </td>
                  <td>{n.group ?? <span className="muted">—</span>}</td>
                  <td>
                    <span className={`status ${n.connected ? "status-up" : "status-down"}`}>{n.connected ? "connected" : "disconnected"}</span>
                  </td>
                  <td data-testid="applied-version">
                    {n.appliedVersion === null || n.appliedVersion === undefined ? (
                      <span className="muted">none</span>
                    ) : (
                      <>
                        v{n.appliedVersion} <span className="mono small muted">{shortHash(n.appliedHash)}</span>
                        {behind && <span className="tag tag-warn">behind</span>}
                      </>
                    )}
                  </td>
                  <td className="small">{n.lastError ? <span className="text-error">{n.lastError}</span> : <span className="muted">—</span>}</td>
                  <td className="small" title={formatTime(n.lastSeen)}>
                    {formatAgo(n.lastSeen)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
