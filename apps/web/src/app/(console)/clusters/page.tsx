"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { LB_POLICIES } from "../../../lib/cluster-form.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { useReadOnly } from "../../../components/read-only.tsx";

export default function ClustersPage() {
  const trpc = useTRPC();
  const readOnly = useReadOnly();
  const clusters = useQuery(trpc.clusters.list.queryOptions());
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Clusters</h1>
          <p className="muted">Upstream services the routes forward to.</p>
        </div>
        <Link href="/clusters/new" className="btn btn-primary" hidden={readOnly}>
          New cluster
        </Link>
      </div>
      {clusters.isError && (
        <p className="banner banner-error" role="alert">
          {clusters.error.message}
        </p>
      )}
      {clusters.isPending && <p className="muted">Loading…</p>}
      {clusters.data && clusters.data.length === 0 && (
        <div className="empty">
          <p>No clusters yet.</p>
          <Link href="/clusters/new" className="btn" hidden={readOnly}>
            Create the first cluster
          </Link>
        </div>
      )}
      {clusters.data && clusters.data.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Discovery</th>
              <th scope="col">Endpoints</th>
              <th scope="col">Load balancing</th>
              <th scope="col" className="num">
                Connect timeout
              </th>
              <th scope="col">Used by</th>
            </tr>
          </thead>
          <tbody>
            {clusters.data.map((c) => (
              <tr key={c.name}>
                <td>
                  <Link href={`/clusters/${encodeURIComponent(c.name)}`}>{c.name}</Link>
                </td>
                <td>{c.discovery}</td>
                <td className="mono small">
                  {c.endpoints.length === 0
                    ? "—"
                    : c.endpoints.map((e) => `${e.address}:${e.port}${e.weight !== 1 ? ` ×${e.weight}` : ""}`).join(", ")}
                </td>
                <td>{LB_POLICIES.find((p) => p.value === c.lbPolicy)?.label ?? c.lbPolicy}</td>
                <td className="num">{c.connectTimeoutMs} ms</td>
                <td className="small">{c.usedBy.length ? c.usedBy.join(", ") : <span className="muted">no routes</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
