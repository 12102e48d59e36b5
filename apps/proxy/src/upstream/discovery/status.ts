import type { TClusterStatusMessage } from "@switchyard/config-model";
import type { ClusterRuntime } from "../cluster.ts";

/**
 * Each cluster's endpoints as served now, with where they came from: the body of the
 * `clusterStatus` frame the console shows per cluster (and /clusters' discovery fields).
 */
export function describeClusters(clusters: Iterable<ClusterRuntime>): TClusterStatusMessage["clusters"] {
  return [...clusters].map((c) => ({
    name: c.name,
    discovery: c.discovery,
    source: c.status.source,
    endpointsVersion: c.status.endpointsVersion,
    updatedAt: c.status.updatedAt,
    lastError: c.status.lastError,
    failures: c.status.failures,
    endpoints: c.endpoints.map((e) => ({
      address: e.address,
      port: e.port,
      weight: e.weight,
      // "pending" until the first active health check answers (Envoy marks it healthy then).
      health: e.hcPending ? "pending" : e.healthy ? "healthy" : "unhealthy",
      ejected: e.outlier.ejectedUntil > 0,
      activeRequests: e.activeRequests,
    })),
  }));
}
