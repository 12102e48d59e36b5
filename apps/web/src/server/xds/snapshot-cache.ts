import { getClusterEndpointSet, getVersion, listClusterEndpointSets, type Db, type TClusterEndpointSet } from "@switchyard/db";

/** A published version as the hub sends it: the frame is serialized once and shared by every connection. */
export type TCachedSnapshot = {
  version: number;
  hash: string;
  /** `{"type":"snapshot",...}` as UTF-8, sent as a text frame to every node whose target it is. */
  frame: Buffer;
  /** Its `discovery: eds` clusters (their console-managed sets follow the snapshot). */
  edsClusters: readonly string[];
};

/** A console-managed endpoint set with its `{"type":"endpoints",...}` frame, serialized once per change. */
export type TCachedEndpoints = { set: TClusterEndpointSet; frame: Buffer };

/** Nodes only ever need recent versions; keep the cache small. */
const MAX_VERSIONS = 32;

/**
 * The control plane's snapshot cache, in the manner of go-control-plane's: versions are
 * immutable, so each is read from the database once and serialized once, whatever the
 * number of node connections it goes to (a fan-out to N nodes writes one buffer N times).
 * Concurrent requests for one version (a burst of hellos) share one read. The eds
 * endpoint sets are held in memory: read once at start, then once per change (NOTIFY
 * cluster_endpoints), never per connection.
 */
export class SnapshotCache {
  readonly #db: Db;
  readonly #versions = new Map<number, Promise<TCachedSnapshot | null>>();
  readonly #endpoints = new Map<string, TCachedEndpoints>();
  #serializations = 0;

  constructor(db: Db) {
    this.#db = db;
  }

  /** The version's snapshot (null when it does not exist). */
  snapshot(version: number): Promise<TCachedSnapshot | null> {
    let pending = this.#versions.get(version);
    if (!pending) {
      pending = this.#load(version);
      this.#versions.set(version, pending);
      // A failed read is not cached: the next caller tries again.
      pending.then((s) => s ?? this.#versions.delete(version), () => this.#versions.delete(version));
      if (this.#versions.size > MAX_VERSIONS) this.#versions.delete(Math.min(...this.#versions.keys()));
    }
    return pending;
  }

  async #load(version: number): Promise<TCachedSnapshot | null> {
    const v = await getVersion(this.#db, version);
    if (!v) return null;
    this.#serializations++;
    return {
      version: v.version,
      hash: v.hash,
      frame: Buffer.from(JSON.stringify({ type: "snapshot", version: v.version, hash: v.hash, config: v.config })),
      edsClusters: v.config.clusters.filter((c) => c.discovery === "eds").map((c) => c.name),
    };
  }

  /** Every managed endpoint set, from the database (at start, and when NOTIFYs may have been lost). */
  async reloadEndpoints(): Promise<void> {
    const sets = await listClusterEndpointSets(this.#db);
    this.#endpoints.clear();
    for (const set of sets) this.#endpoints.set(set.cluster, endpointsOf(set));
  }

  /** One cluster's set after a change (NOTIFY cluster_endpoints): one query for every node. */
  async refreshEndpoints(cluster: string): Promise<TCachedEndpoints | null> {
    const set = await getClusterEndpointSet(this.#db, cluster);
    if (!set) {
      this.#endpoints.delete(cluster);
      return null;
    }
    const cached = endpointsOf(set);
    this.#endpoints.set(cluster, cached);
    return cached;
  }

  /** The managed sets of a snapshot's eds clusters, from memory. */
  endpointsFor(snapshot: TCachedSnapshot): TCachedEndpoints[] {
    return snapshot.edsClusters.flatMap((c) => this.#endpoints.get(c) ?? []);
  }

  /** How many snapshots were serialized since start (one per version, whatever the fan-out). */
  serializations(): number {
    return this.#serializations;
  }
}

function endpointsOf(set: TClusterEndpointSet): TCachedEndpoints {
  return { set, frame: Buffer.from(JSON.stringify({ type: "endpoints", cluster: set.cluster, version: set.version, endpoints: set.endpoints })) };
}
