import { ZConfig, type TConfig } from "@switchyard/config-model";
import { getLatestVersion, latestEndpointHealth, listNodes, type Db } from "@switchyard/db";
import { addRow, figures, newAgg, type TAgg } from "./aggregate.ts";
import { loadRows } from "./query.ts";

/**
 * The topology graph: proxy nodes -> listeners -> virtual hosts -> routes -> clusters ->
 * endpoints, from the LIVE (latest published) version, with edges labelled by request
 * rate, error ratio and p99 over the last `windowS` seconds and nodes coloured by health.
 */
export type THealth = "healthy" | "degraded" | "unhealthy" | "unknown";
export type TTopoNode = {
  id: string;
  type: "proxy" | "listener" | "vhost" | "route" | "cluster" | "endpoint";
  label: string;
  health: THealth;
  detail: string;
  /** Where a click goes (dashboard page), if anywhere. */
  href: string | null;
};
export type TTopoEdge = { id: string; from: string; to: string; rps: number; errorRatio: number; p99Ms: number | null; requests: number };
export type TTopology = { version: number | null; windowS: number; nodes: TTopoNode[]; edges: TTopoEdge[] };

/** Error ratio above which a route or cluster is shown degraded / unhealthy. */
const DEGRADED_ERROR_RATIO = 0.05;
const UNHEALTHY_ERROR_RATIO = 0.5;

function healthOf(agg: TAgg | undefined): THealth {
  if (!agg || agg.requests === 0) return "unknown";
  const ratio = agg.classes[4] / agg.requests;
  return ratio >= UNHEALTHY_ERROR_RATIO ? "unhealthy" : ratio >= DEGRADED_ERROR_RATIO ? "degraded" : "healthy";
}

function worst(a: THealth, b: THealth): THealth {
  const order: THealth[] = ["unknown", "healthy", "degraded", "unhealthy"];
  return order.indexOf(a) >= order.indexOf(b) ? a : b;
}

const enc = encodeURIComponent;

export async function buildTopology(db: Db, windowS: number, now = Date.now()): Promise<TTopology> {
  const range = { from: new Date(now - windowS * 1000), to: new Date(now + 1) };
  const [latest, nodes, health, rows, nodeRows] = await Promise.all([
    getLatestVersion(db),
    listNodes(db),
    latestEndpointHealth(db),
    loadRows(db, { kind: "route", ...range }),
    loadRows(db, { kind: "node", ...range }),
  ]);
  const parsed = latest ? ZConfig.safeParse(latest.config) : null;
  const config: TConfig | null = parsed?.success ? parsed.data : null;

  // Aggregates keyed the way edges need them.
  const aggs = new Map<string, TAgg>();
  const bump = (key: string, r: (typeof rows)[number]) => {
    let a = aggs.get(key);
    if (!a) aggs.set(key, (a = newAgg()));
    addRow(a, r);
  };
  // Node edges from the per-node rows; route rows stored per node before issue #21 carry their node too.
  for (const r of nodeRows) bump(`node|${r.nodeId}|${r.listener}`, r);
  for (const r of rows) {
    if (r.nodeId) bump(`node|${r.nodeId}|${r.listener}`, r);
    bump(`listener|${r.listener}`, r);
    bump(`route|${r.listener}|${r.name}`, r);
    bump(`routeName|${r.name}`, r);
    bump(`rc|${r.name}|${r.cluster}`, r);
    bump(`cluster|${r.cluster}`, r);
  }
  const edge = (from: string, to: string, key: string): TTopoEdge => {
    const a = aggs.get(key) ?? newAgg();
    const f = figures(a);
    return { id: `${from}->${to}`, from, to, rps: a.requests / windowS, errorRatio: f.errorRatio, p99Ms: f.p99Ms, requests: a.requests };
  };

  const out: TTopology = { version: latest?.version ?? null, windowS, nodes: [], edges: [] };
  const endpointHealth = new Map<string, boolean>();
  for (const h of health) {
    const k = `${h.cluster}|${h.endpoint}`;
    // Any node seeing an endpoint unhealthy marks it so; removed endpoints are not in the config anyway.
    endpointHealth.set(k, (endpointHealth.get(k) ?? true) && h.healthy);
  }

  for (const n of nodes) {
    const h: THealth = !n.connected ? "unhealthy" : n.lastError ? "degraded" : "healthy";
    out.nodes.push({
      id: `proxy:${n.id}`,
      type: "proxy",
      label: n.id,
      health: h,
      detail: `${n.connected ? "connected" : "disconnected"}, v${n.appliedVersion ?? "-"}${n.lastError ? `, last error: ${n.lastError.split("\n")[0]}` : ""}`,
      href: `/traces?node=${enc(n.id)}`,
    });
  }
  if (!config) return out;

  for (const l of config.listeners) {
    const lid = `listener:${l.name}`;
    out.nodes.push({ id: lid, type: "listener", label: `${l.name} :${l.port}`, health: healthOf(aggs.get(`listener|${l.name}`)), detail: `${l.protocol} ${l.address}:${l.port}`, href: null });
    for (const n of nodes) if (n.connected || aggs.has(`node|${n.id}|${l.name}`)) out.edges.push(edge(`proxy:${n.id}`, lid, `node|${n.id}|${l.name}`));
    const rc = config.routeConfigs.find((r) => r.name === l.routeConfig);
    if (!rc) continue;
    for (const vh of rc.virtualHosts) {
      const vid = `vhost:${rc.name}/${vh.name}`;
      if (!out.nodes.some((x) => x.id === vid)) {
        const vAgg = newAgg();
        for (const r of vh.routes) {
          const a = aggs.get(`route|${l.name}|${r.name}`);
          if (a) for (const k of ["requests", "latencySum", "bytesIn", "bytesOut"] as const) vAgg[k] += a[k];
          if (a) a.classes.forEach((c, i) => (vAgg.classes[i as 0] += c));
          if (a) a.counts.forEach((c, i) => (vAgg.counts[i] = (vAgg.counts[i] ?? 0) + c));
        }
        aggs.set(`vhost|${l.name}|${vid}`, vAgg);
        out.nodes.push({ id: vid, type: "vhost", label: vh.name, health: healthOf(vAgg), detail: vh.domains.join(", "), href: null });
      }
      out.edges.push(edge(lid, vid, `vhost|${l.name}|${vid}`));
      for (const r of vh.routes) {
        const rid = `route:${rc.name}/${vh.name}/${r.name}`;
        if (!out.nodes.some((x) => x.id === rid)) {
          const kind = r.route ? "forward" : r.redirect ? "redirect" : "direct response";
          out.nodes.push({ id: rid, type: "route", label: r.name, health: healthOf(aggs.get(`routeName|${r.name}`)), detail: kind, href: `/dashboards/routes/${enc(r.name)}` });
        }
        out.edges.push(edge(vid, rid, `route|${l.name}|${r.name}`));
        const targets = r.route ? (r.route.cluster ? [r.route.cluster] : (r.route.weightedClusters ?? []).map((w) => w.cluster)) : [];
        for (const c of targets) out.edges.push(edge(rid, `cluster:${c}`, `rc|${r.name}|${c}`));
      }
    }
  }
  for (const c of config.clusters) {
    const cid = `cluster:${c.name}`;
    let eh: THealth = c.endpoints.length ? "healthy" : "unhealthy";
    for (const e of c.endpoints) {
      const hostPort = `${e.address.includes(":") ? `[${e.address}]` : e.address}:${e.port}`;
      const ok = endpointHealth.get(`${c.name}|${hostPort}`) ?? true;
      if (!ok) eh = worst(eh, "degraded");
      const eid = `endpoint:${c.name}/${hostPort}`;
      out.nodes.push({ id: eid, type: "endpoint", label: hostPort, health: ok ? "healthy" : "unhealthy", detail: `weight ${e.weight}`, href: null });
      out.edges.push({ id: `${cid}->${eid}`, from: cid, to: eid, rps: 0, errorRatio: 0, p99Ms: null, requests: 0 });
    }
    const traffic = healthOf(aggs.get(`cluster|${c.name}`));
    out.nodes.push({
      id: cid,
      type: "cluster",
      label: c.name,
      health: traffic === "unknown" ? eh : worst(eh, traffic),
      detail: `${c.endpoints.length} endpoint(s), ${c.lbPolicy}`,
      href: `/dashboards/clusters/${enc(c.name)}`,
    });
  }
  return out;
}
