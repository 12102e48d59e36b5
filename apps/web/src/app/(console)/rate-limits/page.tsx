"use client";
import { ResourceList } from "../../../components/resource-list.tsx";

type P = { scope: string; requests: number; per: string; burst?: number; key: string | { header: string } };
const p = (r: { resource: unknown }) => r.resource as P;

export default function RateLimitsPage() {
  return (
    <ResourceList
      kind="rateLimitPolicies"
      columns={[
        { label: "Scope", sortKey: (r) => p(r).scope, render: (r) => <span className="tag">{p(r).scope}</span> },
        { label: "Rate", sortKey: (r) => p(r).requests, render: (r) => `${p(r).requests} / ${p(r).per}` },
        { label: "Burst", className: "num", render: (r) => p(r).burst ?? p(r).requests },
        { label: "Key", render: (r) => { const k = p(r).key; return typeof k === "string" ? k : `header ${k.header}`; } },
      ]}
      filters={[
        { label: "local", test: (r) => p(r).scope === "local" },
        { label: "global", test: (r) => p(r).scope === "global" },
      ]}
    />
  );
}
