import type { TEndpoint } from "@switchyard/config-model";
import { EndpointsError, getClusterEndpointSet, listNodeClusterStatus, listNodes, setClusterEndpoints, type Db } from "@switchyard/db";
import { AppError } from "./app-error.ts";
import { getWorkingCluster } from "./clusters.ts";

/**
 * The cluster page's "endpoints" view: where the endpoints come from (the discovery
 * settings, and for eds the console-managed set) and, per node, the endpoints it serves
 * now with their live state, from the nodes' clusterStatus reports.
 */
export async function getClusterEndpointsView(db: Db, name: string) {
  const { cluster } = await getWorkingCluster(db, name);
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

export async function setManagedEndpoints(db: Db, actor: string, name: string, endpoints: TEndpoint[]) {
  try {
    const set = await setClusterEndpoints(db, { cluster: name, endpoints, actor });
    return { version: set.version };
  } catch (err) {
    if (err instanceof EndpointsError) {
      const code = err.status === 404 ? "NOT_FOUND" : err.status === 409 ? "CONFLICT" : "VALIDATION";
      throw new AppError(code, err.message, err.issues);
    }
    throw err;
  }
}

function describeOrigin(c: Awaited<ReturnType<typeof getWorkingCluster>>["cluster"]): string {
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
