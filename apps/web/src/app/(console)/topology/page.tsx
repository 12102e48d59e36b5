"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { LiveBadge } from "../../../components/range-picker.tsx";
import { useLiveTelemetry } from "../../../lib/live.tsx";
import { fmtMs, fmtPct, fmtRate } from "../../../lib/telemetry-format.ts";
import { PanZoomSvg } from "../../../components/pan-zoom.tsx";
import { COLUMNS, NODE_H, NODE_W, filterGraph, layout } from "../../../lib/topology-layout.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { ErrorBanner } from "../../../components/ui.tsx";

const HEALTH_COLOR = { healthy: "#1d7a46", degraded: "#d08a00", unhealthy: "#c4302b", unknown: "#8a94a0" } as const;
const COLUMN_LABEL = { proxy: "Proxy nodes", listener: "Listeners", vhost: "Virtual hosts", route: "Routes", cluster: "Clusters", endpoint: "Endpoints" } as const;

/**
 * Live topology: every proxy node on the version it applied (a canary group on its own
 * chain), endpoints as the nodes report them, nodes coloured by health, edges labelled
 * with the last minute's request rate, error ratio and p99. Laid out by dagre, with pan
 * and zoom. Click a node or an edge for its details and dashboard; the filter keeps
 * matches and the chain through them.
 */
export default function TopologyPage() {
  const trpc = useTRPC();
  const router = useRouter();
  const live = useLiveTelemetry();
  const topo = useQuery({ ...trpc.telemetry.topology.queryOptions({ windowS: 60 }), refetchInterval: 10_000, placeholderData: (p) => p });
  const [filter, setFilter] = useState("");
  const [selected, setSelected] = useState<string | null>(null);

  const graph = useMemo(() => (topo.data ? filterGraph(topo.data.nodes, topo.data.edges, filter) : null), [topo.data, filter]);
  const geo = useMemo(() => (graph ? layout(graph.nodes, graph.edges) : null), [graph]);
  const selEdge = graph?.edges.find((e) => e.id === selected) ?? null;
  const selNode = graph?.nodes.find((n) => n.id === selected) ?? null;
  const edgeHref = (from: string, to: string) => {
    const r = [from, to].find((x) => x.startsWith("route:"));
    const c = [from, to].find((x) => x.startsWith("cluster:"));
    const node = (id: string) => graph?.nodes.find((n) => n.id === id);
    return r ? node(r)?.href : c ? node(c)?.href : null;
  };

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Topology</h1>
          <p className="muted">
            {topo.data
              ? topo.data.version === null
                ? "Nothing published yet."
                : `Live version v${topo.data.version}${topo.data.versionsInUse.length > 1 ? `; nodes serve ${topo.data.versionsInUse.map((v) => `v${v}`).join(" and ")}, each drawn on its own` : ""}; edges: last ${topo.data.windowS} s; endpoints as the nodes report them.`
              : "Loading…"}
          </p>
        </div>
        <div className="head-tools">
          <LiveBadge {...live} />
          <input className="topo-filter" type="search" placeholder="Filter (name)…" aria-label="Filter the graph" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </div>
      </div>
      <ErrorBanner error={topo.isError && topo.error} />
      {graph && geo && (
        <div className="card topo-wrap">
          <PanZoomSvg width={geo.width} height={geo.height} label="Topology graph" testId="topology">
            {COLUMNS.map((c, i) => (
              <text key={c} x={geo.columnX[i]} y={16} className="topo-col">
                {COLUMN_LABEL[c]}
              </text>
            ))}
            {graph.edges.map((e) => {
              const a = geo.pos.get(e.from);
              const b = geo.pos.get(e.to);
              if (!a || !b) return null;
              const x1 = a.x + NODE_W;
              const y1 = a.y + NODE_H / 2;
              const x2 = b.x;
              const y2 = b.y + NODE_H / 2;
              const mx = (x1 + x2) / 2;
              const hasTraffic = e.requests > 0;
              const color = !hasTraffic ? "#c5ccd6" : e.errorRatio >= 0.5 ? HEALTH_COLOR.unhealthy : e.errorRatio >= 0.05 ? HEALTH_COLOR.degraded : "#6b8fd6";
              return (
                <g key={e.id} className={`topo-edge ${selected === e.id ? "sel" : ""}`} onClick={() => setSelected(e.id)} data-edge={e.id}>
                  <path d={`M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`} stroke={color} strokeWidth={hasTraffic ? 2 + Math.min(4, Math.log10(1 + e.rps)) : 1.2} fill="none" />
                  <path d={`M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`} stroke="transparent" strokeWidth={12} fill="none" />
                  {hasTraffic && (
                    <text x={mx} y={(y1 + y2) / 2 - 16} textAnchor="middle" className="topo-edge-label" data-testid="edge-label">
                      <tspan x={mx}>{fmtRate(e.rps)}</tspan>
                      <tspan x={mx} dy={12}>
                        {fmtPct(e.errorRatio)} · p99 {fmtMs(e.p99Ms)}
                      </tspan>
                    </text>
                  )}
                </g>
              );
            })}
            {graph.nodes.map((n) => {
              const p = geo.pos.get(n.id);
              if (!p) return null;
              return (
                <g
                  key={n.id}
                  transform={`translate(${p.x},${p.y})`}
                  className={`topo-node ${selected === n.id ? "sel" : ""}`}
                  onClick={() => setSelected(n.id)}
                  onDoubleClick={() => n.href && router.push(n.href)}
                  data-node={n.id}
                  data-health={n.health}
                >
                  <rect width={NODE_W} height={NODE_H} rx={6} fill="#fff" stroke={HEALTH_COLOR[n.health]} strokeWidth={2} />
                  <circle cx={12} cy={NODE_H / 2} r={5} fill={HEALTH_COLOR[n.health]} />
                  <text x={24} y={NODE_H / 2 + 4} className="topo-label">
                    {n.label.length > 15 ? `${n.label.slice(0, 14)}…` : n.label}
                  </text>
                  <title>{`${n.label} (${n.health}): ${n.detail}`}</title>
                </g>
              );
            })}
          </PanZoomSvg>
        </div>
      )}
      {(selNode || selEdge) && (
        <aside className="card topo-detail" data-testid="topology-detail">
          {selNode && (
            <>
              <h2>
                {selNode.type} {selNode.label}
              </h2>
              <p>
                <span className="status" style={{ color: HEALTH_COLOR[selNode.health] }}>
                  {selNode.health}
                </span>{" "}
                <span className="muted">{selNode.detail}</span>
              </p>
              {selNode.versions && selNode.versions.length > 0 && (
                <p className="small muted">
                  {selNode.type === "proxy" ? "Serves" : "In"} {selNode.versions.map((v) => `v${v}`).join(", ")}
                  {selNode.group ? ` · group ${selNode.group}` : ""}
                </p>
              )}
              {selNode.href && <Link href={selNode.href}>{selNode.type === "proxy" ? "This node against its target →" : "Open its charts →"}</Link>}
            </>
          )}
          {selEdge && (
            <>
              <h2>
                {selEdge.from} → {selEdge.to}
              </h2>
              <p>
                {selEdge.requests} requests ({fmtRate(selEdge.rps)}), error ratio {fmtPct(selEdge.errorRatio)}, p99 {fmtMs(selEdge.p99Ms)}
              </p>
              {edgeHref(selEdge.from, selEdge.to) && <Link href={edgeHref(selEdge.from, selEdge.to) as string}>Open its charts →</Link>}
            </>
          )}
        </aside>
      )}
    </>
  );
}
