import { canonicalJson, ZConfig, type TConfig } from "@switchyard/config-model";
import { getLatestVersion, getVersion, latestEndpointHealth, listNodeClusterStatus, listNodes, type Db, type TNodeClusterStatus, type TNodeStatus } from "@switchyard/db";
import { addRow, figures, newAgg, type TAgg, type TLatencyLayout, type TTrafficRow } from "./aggregate.ts";
import { telemetryReader } from "./reader.ts";

/**
 * The topology graph: proxy nodes -> listeners -> virtual hosts -> routes -> clusters ->
 * endpoints, with edges labelled by request rate, error ratio and p99 over the last
 * `windowS` seconds and nodes coloured by health. Each proxy node is drawn on the version
 * it applied (a canary group on its canary version): a route config or cluster that
 * differs between the versions in use appears once per version (`@v8`), the rest once.
 * Endpoints are the ones the nodes report serving (DNS, kubernetes, consul, eds answers),
 * not the config's static list, which is only the fallback before any node reported.
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
  /** The versions this element is drawn for (several when identical in each). */
  versions?: number[];
  /** Proxy nodes: their group. */
  group?: string;
};
export type TTopoEdge = { id: string; from: string; to: string; rps: number; errorRatio: number; p99Ms: number | null; requests: number };
export type TTopology = {
  /** The latest published version. */
  version: number | null;
  /** Every version a node serves (or the latest when none reported), oldest first. */
  versionsInUse: number[];
  windowS: number;
  nodes: TTopoNode[];
  edges: TTopoEdge[];
};

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
  const [latest, nodes, health, statuses, traffic] = await Promise.all([
    getLatestVersion(db),
    listNodes(db),
    latestEndpointHealth(db),
    listNodeClusterStatus(db),
    telemetryReader(db).traffic(windowS, now),
  ]);
  const wanted = [...new Set(nodes.map((n) => n.appliedVersion).filter((v): v is number => v !== null))];
  const configs = new Map<number, TConfig>();
  for (const v of wanted.length ? wanted : latest ? [latest.version] : []) {
    const stored = latest?.version === v ? latest : await getVersion(db, v);
    const parsed = stored ? ZConfig.safeParse(stored.config) : null;
    if (parsed?.success) configs.set(v, parsed.data);
  }
  return topologyGraph({ latestVersion: latest?.version ?? null, windowS, nodes, configs, statuses, health, ...traffic });
}

export type TTopologyInput = {
  latestVersion: number | null;
  windowS: number;
  nodes: Pick<TNodeStatus, "id" | "group" | "connected" | "appliedVersion" | "lastError">[];
  /** The config of each version in use. */
  configs: Map<number, TConfig>;
  statuses: Pick<TNodeClusterStatus, "nodeId" | "clusters">[];
  /** Health transitions (the fallback for config endpoints no node reported). */
  health: { cluster: string; endpoint: string; healthy: boolean }[];
  /** Route rows, summed over every node (issue #21). */
  rows: TTrafficRow[];
  /** Each node's route totals per listener (the proxy -> listener edges). */
  nodeRows?: TTrafficRow[];
  /** The rows' histogram layout (default: config-model's). */
  layout?: TLatencyLayout;
};

/** The graph from what the console knows; pure (the unit tests feed it directly). */
export function topologyGraph(input: TTopologyInput): TTopology {
  const { windowS, nodes, configs, statuses, rows } = input;
  const agg = () => newAgg(input.layout);
  const versions = [...configs.keys()].sort((a, b) => a - b);
  const fallbackVersion = input.latestVersion !== null && configs.has(input.latestVersion) ? input.latestVersion : versions.at(-1);
  const versionOf = (n: { appliedVersion: number | null }) => (n.appliedVersion !== null && configs.has(n.appliedVersion) ? n.appliedVersion : fallbackVersion);

  // Aggregates keyed the way edges need them (stats carry names, not versions).
  const aggs = new Map<string, TAgg>();
  const bump = (key: string, r: (typeof rows)[number]) => {
    let a = aggs.get(key);
    if (!a) aggs.set(key, (a = agg()));
    addRow(a, r);
  };
  // Node edges from the per-node rows; route rows stored per node before issue #21 carry their node too.
  for (const r of input.nodeRows ?? []) bump(`node|${r.nodeId}|${r.listener}`, r);
  for (const r of rows) {
    if (r.nodeId) bump(`node|${r.nodeId}|${r.listener}`, r);
    bump(`listener|${r.listener}`, r);
    bump(`route|${r.listener}|${r.name}`, r);
    bump(`routeName|${r.name}`, r);
    bump(`rc|${r.name}|${r.cluster}`, r);
    bump(`cluster|${r.cluster}`, r);
  }
  const edges = new Map<string, TTopoEdge>();
  const addEdge = (from: string, to: string, key: string | null) => {
    const id = `${from}->${to}`;
    if (edges.has(id)) return;
    const a = (key && aggs.get(key)) || agg();
    const f = figures(a);
    edges.set(id, { id, from, to, rps: a.requests / windowS, errorRatio: f.errorRatio, p99Ms: f.p99Ms, requests: a.requests });
  };
  const topoNodes = new Map<string, TTopoNode>();
  const addNode = (n: TTopoNode, version: number) => {
    const had = topoNodes.get(n.id);
    if (had) had.versions = [...new Set([...(had.versions ?? []), version])];
    else topoNodes.set(n.id, { ...n, versions: [version] });
  };

  // One id per resource content: the same in every version in use -> plain id; else `@vN`.
  const variants = (key: (c: TConfig) => Map<string, unknown>) => {
    const per = versions.map((v) => key(configs.get(v)!));
    const differs = new Set<string>();
    for (const name of new Set(per.flatMap((m) => [...m.keys()]))) {
      const seen = new Set(per.map((m) => (m.has(name) ? canonicalJson(m.get(name)) : "(absent)")));
      if (seen.size > 1) differs.add(name);
    }
    return (name: string, v: number) => (differs.has(name) ? `${name}@v${v}` : name);
  };
  const rcKey = variants((c) => new Map(c.routeConfigs.map((r) => [r.name, r])));
  // A listener follows its route config: the canary's chain is drawn apart from the stable one.
  const listenerKey = variants((c) => new Map(c.listeners.map((l) => [l.name, { l, rc: c.routeConfigs.find((r) => r.name === l.routeConfig) ?? null }])));
  const clusterKey = variants((c) => new Map(c.clusters.map((x) => [x.name, x])));
  const suffix = (key: string, name: string) => key.slice(name.length);
  const versionLabel = (key: string, name: string, label: string) => (key === name ? label : `${label} (${suffix(key, name).slice(1)})`);

  for (const n of nodes) {
    const v = versionOf(n);
    const h: THealth = !n.connected ? "unhealthy" : n.lastError ? "degraded" : "healthy";
    topoNodes.set(`proxy:${n.id}`, {
      id: `proxy:${n.id}`,
      type: "proxy",
      label: n.id,
      health: h,
      detail: `group ${n.group}, ${n.connected ? "connected" : "disconnected"}, v${n.appliedVersion ?? "-"}${n.lastError ? `, last error: ${n.lastError.split("\n")[0]}` : ""}`,
      href: `/nodes/${enc(n.id)}`,
      group: n.group,
      ...(v !== undefined ? { versions: [v] } : {}),
    });
  }

  // Endpoints as each node reports them: cluster -> host:port -> what each node says.
  type TReport = { nodeId: string; health: string; ejected: boolean; activeRequests: number };
  const reported = new Map<string, Map<string, TReport[]>>();
  for (const s of statuses) {
    for (const c of s.clusters) {
      const byHost = reported.get(c.name) ?? new Map<string, TReport[]>();
      reported.set(c.name, byHost);
      for (const e of c.endpoints) {
        const hostPort = `${e.address.includes(":") ? `[${e.address}]` : e.address}:${e.port}`;
        byHost.set(hostPort, [...(byHost.get(hostPort) ?? []), { nodeId: s.nodeId, health: e.health, ejected: e.ejected, activeRequests: e.activeRequests }]);
      }
    }
  }
  const endpointHealth = new Map<string, boolean>();
  for (const h of input.health) {
    const k = `${h.cluster}|${h.endpoint}`;
    endpointHealth.set(k, (endpointHealth.get(k) ?? true) && h.healthy);
  }

  for (const v of versions) {
    const config = configs.get(v)!;
    const onThis = nodes.filter((n) => versionOf(n) === v);
    for (const l of config.listeners) {
      const lKey = listenerKey(l.name, v);
      const lid = `listener:${lKey}`;
      addNode({ id: lid, type: "listener", label: versionLabel(lKey, l.name, `${l.name} :${l.port}`), health: healthOf(aggs.get(`listener|${l.name}`)), detail: `${l.protocol} ${l.address}:${l.port}`, href: null }, v);
      for (const n of onThis) if (n.connected || aggs.has(`node|${n.id}|${l.name}`)) addEdge(`proxy:${n.id}`, lid, `node|${n.id}|${l.name}`);
      const rc = config.routeConfigs.find((r) => r.name === l.routeConfig);
      if (!rc) continue;
      const rcId = rcKey(rc.name, v);
      for (const vh of rc.virtualHosts) {
        const vid = `vhost:${rcId}/${vh.name}`;
        if (!topoNodes.has(vid)) {
          const vAgg = agg();
          for (const r of vh.routes) {
            const a = aggs.get(`route|${l.name}|${r.name}`);
            if (!a) continue;
            for (const k of ["requests", "latencySum", "bytesIn", "bytesOut"] as const) vAgg[k] += a[k];
            a.classes.forEach((c, i) => (vAgg.classes[i as 0] += c));
            a.counts.forEach((c, i) => (vAgg.counts[i] = (vAgg.counts[i] ?? 0) + c));
          }
          aggs.set(`vhost|${l.name}|${vid}`, vAgg);
        }
        addNode({ id: vid, type: "vhost", label: versionLabel(rcId, rc.name, vh.name), health: healthOf(aggs.get(`vhost|${l.name}|${vid}`)), detail: vh.domains.join(", "), href: null }, v);
        addEdge(lid, vid, `vhost|${l.name}|${vid}`);
        for (const r of vh.routes) {
          const rid = `route:${rcId}/${vh.name}/${r.name}`;
          const kind = r.route ? "forward" : r.redirect ? "redirect" : "direct response";
          addNode({ id: rid, type: "route", label: versionLabel(rcId, rc.name, r.name), health: healthOf(aggs.get(`routeName|${r.name}`)), detail: kind, href: `/dashboards/routes/${enc(r.name)}` }, v);
          addEdge(vid, rid, `route|${l.name}|${r.name}`);
          const targets = r.route ? (r.route.cluster ? [r.route.cluster] : (r.route.weightedClusters ?? []).map((w) => w.cluster)) : [];
          for (const c of targets) addEdge(rid, `cluster:${clusterKey(c, v)}`, `rc|${r.name}|${c}`);
        }
      }
    }
    for (const c of config.clusters) {
      const cKey = clusterKey(c.name, v);
      const cid = `cluster:${cKey}`;
      const onThisIds = new Set(onThis.map((n) => n.id));
      const fromNodes = [...(reported.get(c.name) ?? new Map<string, TReport[]>()).entries()]
        .map(([hostPort, states]) => [hostPort, states.filter((s) => onThisIds.has(s.nodeId))] as const)
        .filter(([, states]) => states.length > 0);
      let eh: THealth = "healthy";
      const endpoints: { hostPort: string; health: THealth; detail: string }[] = fromNodes.length
        ? fromNodes.map(([hostPort, states]) => {
            const bad = states.filter((s) => s.health === "unhealthy" || s.ejected);
            const health: THealth = bad.length ? "unhealthy" : states.every((s) => s.health === "pending") ? "unknown" : "healthy";
            const words = states.map((s) => `${s.nodeId}: ${s.ejected ? "ejected" : s.health}${s.activeRequests ? `, ${s.activeRequests} active` : ""}`);
            return { hostPort, health, detail: `reported by ${states.length} node(s): ${words.join("; ")}` };
          })
        : c.endpoints.map((e) => {
            const hostPort = `${e.address.includes(":") ? `[${e.address}]` : e.address}:${e.port}`;
            const ok = endpointHealth.get(`${c.name}|${hostPort}`) ?? true;
            return { hostPort, health: ok ? "healthy" : "unhealthy", detail: `weight ${e.weight}; from the config (no node has reported this cluster yet)` };
          });
      if (!endpoints.length) eh = "unhealthy";
      for (const e of endpoints) {
        if (e.health === "unhealthy") eh = worst(eh, "degraded");
        const eid = `endpoint:${cKey}/${e.hostPort}`;
        addNode({ id: eid, type: "endpoint", label: e.hostPort, health: e.health, detail: e.detail, href: null }, v);
        addEdge(cid, eid, null);
      }
      const traffic = healthOf(aggs.get(`cluster|${c.name}`));
      const source = fromNodes.length ? "as the nodes report them" : c.discovery === "static" ? "static" : `${c.discovery}: no node has reported endpoints yet`;
      addNode(
        {
          id: cid,
          type: "cluster",
          label: versionLabel(cKey, c.name, c.name),
          health: traffic === "unknown" ? eh : worst(eh, traffic),
          detail: `${endpoints.length} endpoint(s) ${source}, ${c.lbPolicy}`,
          href: `/dashboards/clusters/${enc(c.name)}`,
        },
        v,
      );
    }
  }
  // Edges may point at clusters a version lacks (a broken reference): keep only drawn ones.
  const drawn = [...edges.values()].filter((e) => topoNodes.has(e.from) && topoNodes.has(e.to));
  return { version: input.latestVersion, versionsInUse: versions, windowS, nodes: [...topoNodes.values()], edges: drawn };
}
