"use client";
import type { TCluster } from "@switchyard/config-model";
import type { TResourceKind } from "../lib/resource-kinds.ts";
import { LB_POLICIES } from "../lib/cluster-form.ts";
import { ExpiryTag } from "./certificate-details.tsx";
import { ResourceList, type TColumn, type TRow } from "./resource-list.tsx";

/**
 * What each kind's list page shows besides name and "used by": its columns (sortable
 * where they have a key) and its filters. Pages are one line each:
 * `export default resourceListPage("clusters")`.
 */

type L = { address: string; port: number; protocol: string; routeConfig?: string; tcp?: { cluster?: string }; httpFilters: { type: string }[]; networkFilters?: { type: string }[] };
const l = (r: { resource: unknown }) => r.resource as L;
type P = { scope: string; requests: number; per: string; burst?: number; key: string | { header: string } };
const p = (r: { resource: unknown }) => r.resource as P;
type RC = { virtualHosts: { name: string; domains: string[]; routes: unknown[] }[] };
const rc = (r: { resource: unknown }) => r.resource as RC;
const c = (r: { resource: unknown }) => r.resource as TCluster;
type Info = { subject: string; sans: string[]; fingerprint256: string; validTo: string; daysLeft: number } | { error: string };
const info = (r: { certificate?: unknown }) => r.certificate as Info;
const days = (r: { certificate?: unknown }) => {
  const i = info(r);
  return "error" in i ? -1e9 : i.daysLeft;
};

const LISTS: { [K in TResourceKind]: { columns: TColumn[]; filters: { label: string; test: (row: TRow) => boolean }[] } } = {
  listeners: {
    columns: [
      { label: "Address", sortKey: (r) => l(r).port, render: (r) => <span className="mono small">{`${l(r).address}:${l(r).port}`}</span> },
      { label: "Protocol", sortKey: (r) => l(r).protocol, render: (r) => <span className="tag">{l(r).protocol}</span> },
      { label: "Serves", render: (r) => (l(r).tcp ? (l(r).tcp?.cluster !== undefined ? `cluster ${l(r).tcp?.cluster}` : "clusters by SNI") : `route config ${l(r).routeConfig ?? "—"}`) },
      { label: "Filters", render: (r) => [...l(r).httpFilters, ...(l(r).networkFilters ?? [])].map((f) => f.type).join(" → ") || <span className="muted">none</span> },
    ],
    filters: [
      { label: "http", test: (r) => l(r).protocol === "http" },
      { label: "https", test: (r) => l(r).protocol === "https" },
      { label: "tcp", test: (r) => l(r).protocol === "tcp" },
    ],
  },
  rateLimitPolicies: {
    columns: [
      { label: "Scope", sortKey: (r) => p(r).scope, render: (r) => <span className="tag">{p(r).scope}</span> },
      { label: "Rate", sortKey: (r) => p(r).requests, render: (r) => `${p(r).requests} / ${p(r).per}` },
      { label: "Burst", className: "num", render: (r) => p(r).burst ?? p(r).requests },
      { label: "Key", render: (r) => { const k = p(r).key; return typeof k === "string" ? k : `header ${k.header}`; } },
    ],
    filters: [
      { label: "local", test: (r) => p(r).scope === "local" },
      { label: "global", test: (r) => p(r).scope === "global" },
    ],
  },
  routeConfigs: {
    columns: [
      {
        label: "Virtual hosts",
        sortKey: (r) => rc(r).virtualHosts.length,
        render: (r) => (
          <ul className="plain small">
            {rc(r).virtualHosts.map((vh) => (
              <li key={vh.name}>
                <strong>{vh.name}</strong> <span className="mono">{vh.domains.join(", ")}</span> · {vh.routes.length} route{vh.routes.length === 1 ? "" : "s"}
              </li>
            ))}
          </ul>
        ),
      },
      { label: "Routes", className: "num", sortKey: (r) => rc(r).virtualHosts.reduce((n, v) => n + v.routes.length, 0), render: (r) => rc(r).virtualHosts.reduce((n, v) => n + v.routes.length, 0) },
    ],
    filters: [{ label: "unused", test: (r) => r.usedBy.length === 0 }],
  },
  clusters: {
    columns: [
      { label: "Discovery", sortKey: (r) => c(r).discovery, render: (r) => c(r).discovery },
      {
        label: "Endpoints",
        className: "mono small",
        render: (r) => (c(r).endpoints.length ? c(r).endpoints.map((e) => `${e.address}:${e.port}${e.weight !== 1 ? ` ×${e.weight}` : ""}`).join(", ") : "—"),
      },
      { label: "Load balancing", sortKey: (r) => c(r).lbPolicy, render: (r) => LB_POLICIES.find((p) => p.value === c(r).lbPolicy)?.label ?? c(r).lbPolicy },
      { label: "Connect timeout", sortKey: (r) => c(r).connectTimeoutMs, className: "num", render: (r) => `${c(r).connectTimeoutMs} ms` },
    ],
    filters: [
      { label: "static", test: (r) => c(r).discovery === "static" },
      { label: "DNS", test: (r) => c(r).discovery === "strictDns" || c(r).discovery === "logicalDns" },
      { label: "eds", test: (r) => c(r).discovery === "eds" },
      { label: "kubernetes", test: (r) => c(r).discovery === "kubernetes" },
      { label: "consul", test: (r) => c(r).discovery === "consul" },
    ],
  },
  secrets: {
    columns: [
      { label: "Type", sortKey: (r) => String(r.resource.type), render: (r) => <span className="tag">{String(r.resource.type)}</span> },
      {
        label: "Subject / SANs",
        render: (r) => {
          const i = info(r);
          return "error" in i ? <span className="text-error small">{i.error}</span> : <span className="mono small">{i.subject}{i.sans.length ? ` · ${i.sans.join(", ")}` : ""}</span>;
        },
      },
      { label: "Fingerprint", render: (r) => { const i = info(r); return "error" in i ? "—" : <span className="mono small" title={i.fingerprint256}>{i.fingerprint256.slice(0, 23)}…</span>; } },
      { label: "Expiry", sortKey: days, render: (r) => { const i = info(r); return "error" in i ? "—" : <ExpiryTag days={i.daysLeft} />; } },
    ],
    filters: [
      { label: "expiring in 30 days", test: (r) => days(r) <= 30 },
      { label: "tlsCertificate", test: (r) => r.resource.type === "tlsCertificate" },
      { label: "caBundle", test: (r) => r.resource.type === "caBundle" },
    ],
  },
};

/** `/<kind>`: the kind's list (search, sort, filter, duplicate, delete refused while used). */
export function resourceListPage(kind: TResourceKind) {
  return function ListPage() {
    return <ResourceList kind={kind} columns={LISTS[kind].columns} filters={LISTS[kind].filters} />;
  };
}
