import type { TCluster, TSecret } from "@switchyard/config-model";
import { ClusterRuntime, clusterKey, discoveryKey } from "./cluster.ts";
import { attachDiscovery, type TDiscoveryDeps } from "./discovery/index.ts";
import type { TUpstreamEvents } from "./events.ts";
import { LOCAL_STATE, type TSharedUpstream } from "./shared-state.ts";

/**
 * How long an apply waits for the first answer of a new cluster's discovery source
 * (Envoy's cluster warming). After it the version applies anyway and the cluster answers
 * 503 UH until discovery delivers. Default 5000.
 */
export const DISCOVERY_WARM_TIMEOUT_MS = 5_000;

export type TClusterPlan = {
  /** The clusters of the new version by name (reused or new). */
  readonly clusters: ReadonlyMap<string, ClusterRuntime>;
  /** Built for this version; closed again if the version is not applied. */
  readonly created: readonly ClusterRuntime[];
};

/**
 * Whether `runtime` serves `c` as it stands. The validated config of an unchanged cluster
 * is the very object the runtime was built from (config-model's ValidationMemo), so most
 * clusters are told without hashing them; a cluster with `tls` is hashed anyway, since
 * the secrets it names may have changed.
 */
function unchanged(runtime: ClusterRuntime, c: TCluster, secrets: ReadonlyMap<string, TSecret>): boolean {
  if (runtime.config === c && c.tls === undefined) return true;
  return runtime.key === clusterKey(c, secrets);
}

/**
 * Owns every live ClusterRuntime. Two phases so a failed apply changes nothing:
 * `prepare` builds the next set (reusing unchanged clusters and their warm pools),
 * `commit` makes it current and drains the clusters no longer referenced, `discard`
 * undoes a prepare.
 */
export class ClusterManager {
  #current = new Map<string, ClusterRuntime>();
  /** Replaced clusters still finishing in-flight requests. */
  readonly #draining = new Set<ClusterRuntime>();
  readonly #events: TUpstreamEvents;
  readonly #discovery: TDiscoveryDeps | null;
  readonly #shared: TSharedUpstream;

  /**
   * `discovery` null: only static clusters can be served (unit tests). `shared`: the
   * node-wide breaker counts and health/ejection verdicts (a worker's link to its primary).
   */
  constructor(events: TUpstreamEvents, discovery: TDiscoveryDeps | null = null, shared: TSharedUpstream = LOCAL_STATE) {
    this.#events = events;
    this.#discovery = discovery;
    this.#shared = shared;
  }

  prepare(clusters: readonly TCluster[], secrets: ReadonlyMap<string, TSecret> = new Map()): TClusterPlan {
    const next = new Map<string, ClusterRuntime>();
    const created: ClusterRuntime[] = [];
    for (const c of clusters) {
      const existing = this.#current.get(c.name);
      const reuse = existing && unchanged(existing, c, secrets) ? existing : null;
      if (reuse) next.set(c.name, reuse);
      else {
        // A changed cluster inherits the health/outlier state of the endpoints it keeps and,
        // with the same discovery source, starts from what that one found (logicalDns
        // excepted: its endpoint dials the new source's address).
        const inherit = existing && c.discovery !== "logicalDns" && discoveryKey(c) !== null && discoveryKey(c) === discoveryKey(existing.config);
        const fresh = new ClusterRuntime(c, this.#events, existing, secrets, inherit ? existing.endpoints : undefined, this.#shared);
        if (this.#discovery) attachDiscovery(fresh, this.#discovery, this.#shared);
        created.push(fresh);
        next.set(c.name, fresh);
      }
    }
    return { clusters: next, created };
  }

  /**
   * Starts the discovery sources of the plan's new clusters and waits (up to `timeoutMs`)
   * for their first answers, so a new version does not go live with empty clusters.
   */
  async warm(plan: TClusterPlan, timeoutMs = DISCOVERY_WARM_TIMEOUT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all(plan.created.map((c) => c.startDiscovery())), timeout]);
    clearTimeout(timer);
  }

  /** The applied runtime of a cluster, by name. */
  get(name: string): ClusterRuntime | undefined {
    return this.#current.get(name);
  }

  commit(plan: TClusterPlan): void {
    const old = this.#current;
    this.#current = new Map(plan.clusters);
    const kept = new Set(plan.clusters.values());
    // Health checks and outlier sweeps run only for committed clusters.
    for (const c of plan.created) c.start();
    for (const c of old.values()) {
      if (kept.has(c)) continue;
      this.#draining.add(c);
      void c.drain().finally(() => this.#draining.delete(c));
    }
  }

  discard(plan: TClusterPlan): void {
    for (const c of plan.created) void c.destroy();
  }

  /** Clusters of the applied version. */
  current(): IterableIterator<ClusterRuntime> {
    return this.#current.values();
  }

  /** Graceful: wait for pools to finish in-flight work, then destroy what is left after `graceMs`. */
  async close(graceMs: number): Promise<void> {
    const all = [...this.#current.values(), ...this.#draining];
    this.#current = new Map();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all(all.map((c) => c.drain())), grace]);
    clearTimeout(timer);
    await Promise.all(all.map((c) => c.destroy()));
  }
}
