"use client";
import { ResourceList } from "../../../components/resource-list.tsx";

type L = { address: string; port: number; protocol: string; routeConfig?: string; tcp?: { cluster: string }; httpFilters: { type: string }[] };
const l = (r: { resource: unknown }) => r.resource as L;

export default function ListenersPage() {
  return (
    <ResourceList
      kind="listeners"
      columns={[
        { label: "Address", sortKey: (r) => l(r).port, render: (r) => <span className="mono small">{`${l(r).address}:${l(r).port}`}</span> },
        { label: "Protocol", sortKey: (r) => l(r).protocol, render: (r) => <span className="tag">{l(r).protocol}</span> },
        { label: "Serves", render: (r) => (l(r).tcp ? `cluster ${l(r).tcp?.cluster}` : `route config ${l(r).routeConfig ?? "—"}`) },
        { label: "Filters", render: (r) => l(r).httpFilters.map((f) => f.type).join(" → ") || <span className="muted">none</span> },
      ]}
      filters={[
        { label: "http", test: (r) => l(r).protocol === "http" },
        { label: "https", test: (r) => l(r).protocol === "https" },
        { label: "tcp", test: (r) => l(r).protocol === "tcp" },
      ]}
    />
  );
}
