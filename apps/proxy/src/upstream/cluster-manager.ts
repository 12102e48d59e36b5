import type { TCluster, TSecret } from "@switchyard/config-model";
import { ClusterRuntime, clusterKey } from "./cluster.ts";
import type { TUpstreamEvents } from "./events.ts";

export type TClusterPlan = {
  /** The clusters of the new version by name (reused or new). */
  readonly clusters: ReadonlyMap<string, ClusterRuntime>;
  /** Built for this version; closed again if the version is not applied. */
  readonly created: readonly ClusterRuntime[];
};

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

  constructor(events: TUpstreamEvents) {
    this.#events = events;
  }

  prepare(clusters: readonly TCluster[], secrets: ReadonlyMap<string, TSecret> = new Map()): TClusterPlan {
    const next = new Map<string, ClusterRuntime>();
    const created: ClusterRuntime[] = [];
    for (const c of clusters) {
      const existing = this.#current.get(c.name);
      const reuse = existing && existing.key === clusterKey(c, secrets) ? existing : null;
      if (reuse) next.set(c.name, reuse);
      else {
        // A changed cluster inherits the health/outlier state of the endpoints it keeps.
        const fresh = new ClusterRuntime(c, this.#events, existing, secrets);
        created.push(fresh);
        next.set(c.name, fresh);
      }
    }
    return { clusters: next, created };
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
