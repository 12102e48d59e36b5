import type { TCluster, TEndpoint } from "@switchyard/config-model";
import { getClusterEndpointSet, listNodeClusterStatus, listNodes, setClusterEndpoints, type TClusterEndpointSet } from "@switchyard/db";
import { AppError, toAppError } from "./app-error.ts";
import type { Db, TWho } from "./context.ts";
import { getResource } from "./resources.ts";

/**
 * The cluster page's "endpoints" view: where the endpoints come from (the discovery
 * settings, and for eds the console-managed set) and, per node, the endpoints it serves
 * now with their live state, from the nodes' clusterStatus reports.
 */
export async function getClusterEndpointsView(db: Db, name: string) {
  const { resource: cluster } = await getResource(db, "clusters", name);
  const [set, statuses, nodes] = await Promise.all([
    cluster.discovery === "eds" ? getClusterEndpointSet(db, name) : Promise.resolve(null),
    listNodeClusterStatus(db),
    listNodes(db),
  ]);
  const connected = new Map(nodes.map((n) => [n.id, n.connected]));
  return {
    name,
    discovery: cluster.discovery,
    origin: describeOrigin(cluster),
    managed: set ? { version: set.version, endpoints: set.endpoints, updatedBy: set.updatedBy, updatedAt: set.updatedAt.toISOString() } : null,
    nodes: statuses.flatMap((s) => {
      const c = s.clusters.find((x) => x.name === name);
      if (!c) return [];
      const ack = s.endpointAcks[name];
      return [
        {
          nodeId: s.nodeId,
          connected: connected.get(s.nodeId) ?? false,
          reportedAt: s.updatedAt.toISOString(),
          source: c.source,
          lastError: c.lastError,
          failures: c.failures,
          updatedAt: c.updatedAt,
          endpointsVersion: c.endpointsVersion,
          ack: ack ?? null,
          endpoints: c.endpoints,
        },
      ];
    }),
  };
}

/**
 * Replaces the console-managed endpoints of an eds cluster (its endpoints version + 1);
 * connected nodes get them at once, without a config version. 404 for an unknown
 * cluster, 409 when it is not `discovery: eds`.
 */
export async function setManagedEndpoints(db: Db, who: TWho, input: { name: string; endpoints: TEndpoint[] }): Promise<TClusterEndpointSet> {
  try {
    return await setClusterEndpoints(db, { cluster: input.name, endpoints: input.endpoints, actor: who.actor });
  } catch (err) {
    throw toAppError(err);
  }
}

/** The managed set of an eds cluster and, per node, the endpoints version it acknowledged (or refused). */
export async function managedEndpointsWithAcks(db: Db, name: string) {
  const set = await getClusterEndpointSet(db, name);
  if (!set) throw new AppError("NOT_FOUND", `no endpoints were pushed for cluster "${name}"`);
  const nodes = (await listNodeClusterStatus(db)).flatMap((n) => {
    const ack = n.endpointAcks[name];
    return ack ? [{ nodeId: n.nodeId, version: ack.version, ok: ack.ok, error: ack.error ?? null, at: ack.at }] : [];
  });
  return { ...set, nodes };
}

function describeOrigin(c: TCluster): string {
  switch (c.discovery) {
    case "static":
      return "static endpoints in the config";
    case "eds":
      return "managed in the console (pushed to nodes without a config version)";
    case "strictDns":
    case "logicalDns":
      return `${c.discovery}: ${c.endpoints.map((e) => `${e.address}:${e.port}`).join(", ")} every ${c.dnsRefreshMs} ms (or the TTL) via ${c.dnsResolvers.length ? c.dnsResolvers.join(", ") : "the system resolver"}`;
    case "kubernetes":
      return `Kubernetes EndpointSlices of ${c.kubernetes?.namespace}/${c.kubernetes?.service}, port ${c.kubernetes?.port}`;
    case "consul":
      return `Consul service ${c.consul?.service}${c.consul?.tag ? ` tag ${c.consul.tag}` : ""}${c.consul?.datacenter ? ` in ${c.consul.datacenter}` : ""} (passing only)`;
  }
}
