import type { TCluster, TEndpoint } from "@switchyard/config-model";
import type { TDiscoverySink, TDiscoverySource } from "./types.ts";

/**
 * discovery: eds — endpoints pushed by the console (`endpoints` frames), outside config
 * versions. The store outlives config versions so a changed cluster's new runtime starts
 * from the last pushed set; until a set is pushed the cluster serves its config's
 * `endpoints` (standalone mode: always).
 */

export type TEdsSet = { readonly version: number; readonly endpoints: readonly TEndpoint[] };

export type TEdsOutcome = { ok: true } | { ok: false; error: string };

export class EdsStore {
  readonly #sets = new Map<string, TEdsSet>();
  readonly #subscribers = new Map<string, Set<(set: TEdsSet) => void>>();

  get(cluster: string): TEdsSet | undefined {
    return this.#sets.get(cluster);
  }

  /**
   * Stores a pushed set and hands it to the cluster's runtime. Versions only grow per
   * cluster: the same version again is a no-op ack (a resend after reconnect), an older
   * one is refused so a delayed frame cannot roll a scale event back.
   */
  push(cluster: string, version: number, endpoints: readonly TEndpoint[]): TEdsOutcome {
    const cur = this.#sets.get(cluster);
    if (cur && version < cur.version) return { ok: false, error: `version ${version} is older than version ${cur.version} serving` };
    if (cur && version === cur.version) return { ok: true };
    const set = Object.freeze({ version, endpoints: Object.freeze([...endpoints]) });
    this.#sets.set(cluster, set);
    for (const fn of this.#subscribers.get(cluster) ?? []) fn(set);
    return { ok: true };
  }

  subscribe(cluster: string, fn: (set: TEdsSet) => void): () => void {
    let subs = this.#subscribers.get(cluster);
    if (!subs) this.#subscribers.set(cluster, (subs = new Set()));
    subs.add(fn);
    return () => subs.delete(fn);
  }
}

export function createEdsSource(cluster: TCluster, store: EdsStore, sink: TDiscoverySink): TDiscoverySource {
  return storeSource(cluster.name, "eds (console)", store, sink);
}

/**
 * `--workers N`, a worker that is not the state owner: the endpoints the owner's source
 * found (DNS, Consul, Kubernetes), relayed by the primary under `key` (cluster name and
 * discovery settings), so the node asks the registry once.
 */
export function createRelayedSource(key: string, kind: string, store: EdsStore, sink: TDiscoverySink): TDiscoverySource {
  return storeSource(key, `${kind}, found by the state owner worker`, store, sink);
}

function storeSource(key: string, label: string, store: EdsStore, sink: TDiscoverySink): TDiscoverySource {
  let unsubscribe: (() => void) | null = null;
  return {
    describe: () => label,
    start() {
      const set = store.get(key);
      if (set) sink.update(set.endpoints, { version: set.version });
      unsubscribe = store.subscribe(key, (s) => sink.update(s.endpoints, { version: s.version }));
      return Promise.resolve();
    },
    stop() {
      unsubscribe?.();
      unsubscribe = null;
    },
  };
}
