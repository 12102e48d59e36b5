import type { TEndpoint } from "@switchyard/config-model";
import type { ClusterRuntime } from "../cluster.ts";
import { createConsulSource, type TConsulOptions } from "./consul.ts";
import { createDnsSource } from "./dns.ts";
import { createEdsSource, createRelayedSource, type EdsStore } from "./eds.ts";
import { discoveryKey } from "../cluster.ts";
import { LOCAL_STATE, type TSharedUpstream } from "../shared-state.ts";
import type { TKubeAccessSpec } from "./kube-config.ts";
import { createKubernetesSource } from "./kubernetes.ts";
import type { TDiscoverySink, TDiscoverySource } from "./types.ts";
import type { TOutboundAllow } from "../outbound-allow.ts";

/**
 * Wires a cluster runtime to its discovery source (the cluster manager's one hook).
 * Every update goes through ClusterRuntime.setEndpoints (immutable set swap); nothing
 * here runs per request.
 */
export type TDiscoveryDeps = {
  consul: TConsulOptions;
  /** null: no API server configured (kubernetes clusters then report that as their error). */
  kubernetes: TKubeAccessSpec | null;
  eds: EdsStore;
  log: (event: string, fields: Record<string, unknown>) => void;
  /** Counted in switchyard_discovery_{updates,failures}_total. */
  counted: (cluster: string, discovery: string, result: "update" | "failure") => void;
  /** Something about a cluster's endpoints changed (for the console's clusterStatus frame). */
  changed: () => void;
  /** --outbound-allow: discovered endpoints outside it are dropped; null = any. */
  outbound?: TOutboundAllow | null;
};

/**
 * `shared`: with `--workers N` the state owner's DNS, Consul and Kubernetes sources publish
 * what they find and the other workers take it from the primary (one watch per node);
 * logicalDns stays per worker (its dialAddress answers at connect time), EDS comes from the
 * primary anyway. Relayed updates are counted and logged by the owner only.
 */
export function attachDiscovery(rt: ClusterRuntime, deps: TDiscoveryDeps, shared: TSharedUpstream = LOCAL_STATE): void {
  const cluster = rt.config;
  if (cluster.discovery === "static") return;
  const status = rt.status;
  const shareable = cluster.discovery === "strictDns" || cluster.discovery === "consul" || cluster.discovery === "kubernetes";
  const relayKey = `${cluster.name}#${discoveryKey(cluster) ?? ""}`;
  const relayed = shareable && shared.relay !== null;
  const publish = shareable && shared.owner;
  const sink: TDiscoverySink = {
    update(discovered: readonly TEndpoint[], meta) {
      const allow = deps.outbound;
      const endpoints = allow ? discovered.filter((e) => allow.allows(e.address)) : discovered;
      if (endpoints.length < discovered.length) {
        const outside = discovered.filter((e) => !endpoints.includes(e)).map((e) => e.address);
        deps.log("discovery_outside_outbound_allow", { cluster: rt.name, discovery: cluster.discovery, dropped: outside.slice(0, 10), count: outside.length });
      }
      if (publish) shared.endpointsFound(relayKey, endpoints);
      const r = rt.setEndpoints(endpoints);
      // Some sources learn more about where they read from once started (e.g. the kubeconfig context).
      status.source = source.describe();
      status.updatedAt = Date.now();
      status.updates++;
      if (meta?.version !== undefined) status.endpointsVersion = meta.version;
      if (status.lastError !== null) deps.log("discovery_recovered", { cluster: rt.name, discovery: cluster.discovery });
      status.lastError = null;
      if (!relayed) deps.counted(rt.name, cluster.discovery, "update");
      if (r.changed && !relayed) {
        deps.log("discovery_update", { cluster: rt.name, discovery: cluster.discovery, endpoints: rt.endpoints.map((e) => e.hostPort), added: r.added, removed: r.removed });
      }
      if (r.changed || meta?.version !== undefined) deps.changed();
    },
    fail(error: string) {
      status.failures++;
      status.source = source.describe();
      const first = status.lastError !== error;
      status.lastError = error;
      deps.counted(rt.name, cluster.discovery, "failure");
      // The same error every interval is logged once, until it changes or recovers.
      if (first) {
        deps.log("discovery_failed", { cluster: rt.name, discovery: cluster.discovery, error, keeping: rt.endpoints.length });
        deps.changed();
      }
    },
    log: deps.log,
  };
  let source: TDiscoverySource;
  if (relayed && shared.relay) return rt.attachSource((source = createRelayedSource(relayKey, cluster.discovery, shared.relay, sink)));
  switch (cluster.discovery) {
    case "strictDns":
    case "logicalDns":
      source = createDnsSource(cluster, sink);
      break;
    case "consul":
      source = createConsulSource(cluster, deps.consul, sink);
      break;
    case "kubernetes":
      source = createKubernetesSource(cluster, deps.kubernetes, sink);
      break;
    case "eds":
      source = createEdsSource(cluster, deps.eds, sink);
      break;
  }
  rt.attachSource(source);
}
