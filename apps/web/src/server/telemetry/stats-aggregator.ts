import type { TStatsSample } from "@switchyard/config-model";
import { RAW_RESOLUTION_S, bucketOf, type TStatsKind, type TStatsRowInput } from "@switchyard/db";

/**
 * Pre-aggregation of node stats windows before storage (DESIGN §5: telemetry scales with
 * routes, not with nodes x routes). Every window is merged on arrival, synchronously, into
 * one accumulator per row key of its 10 s bucket:
 * - (kind, route or cluster, listener, cluster) summed over every node;
 * - (node, listener): route rows summed, for the topology's node edges;
 * - (group, window start): route rows summed, for the SLO guard, which needs each window's
 *   exact start (these rows grow with nodes, never with nodes x routes).
 * A flush (every FLUSH_MS, one statement for all of them) swaps the accumulators out and
 * stores them; the next windows merge into fresh ones meanwhile.
 *
 * Memory is bounded by the number of keys, never by the number of frames: frames are not
 * queued anywhere. Past `maxKeys` pending keys (the database is down or slower than the
 * fleet) a window is refused and counted, and `pace()` asks nodes for longer windows
 * (they merge on the node instead; see the statsPace message).
 */
type TAcc = {
  row: Omit<TStatsRowInput, "requests" | "classes" | "bytesIn" | "bytesOut" | "latencySum" | "counts" | "windows">;
  requests: number;
  classes: [number, number, number, number, number];
  bytesIn: number;
  bytesOut: number;
  latencySum: number;
  counts: Map<number, number>;
  windows: number;
  /** The last window that touched it (windows counts each window once per key). */
  seenBy: number;
};

export type TStatsAggregatorOptions = {
  /** Stores one batch (insertStatsRows); a rejection keeps the rows for the next flush. */
  write(rows: TStatsRowInput[]): Promise<unknown>;
  /** After a batch is stored: the entries (node rows) it holds and the rows written. */
  onStored?(entries: number, rows: number): void;
  /** Pending keys beyond which windows are refused; default 20 000. */
  maxKeys?: number;
};

export type TAdmission = "accepted" | "overloaded";

/** The stats interval nodes are asked for when the console keeps up (0 = their own, 5 s by default). */
export const PACE_NORMAL_MS = 0;
/** Longest interval the console asks for: a node merges up to this much into one window. */
export const PACE_MAX_MS = 60_000;

export class StatsAggregator {
  readonly #opts: TStatsAggregatorOptions;
  readonly #maxKeys: number;
  #pending = new Map<string, TAcc>();
  #pendingEntries = 0;
  #window = 0;
  #flushing: Promise<void> | null = null;
  #lastFlushMs = 0;
  #failures = 0;

  constructor(opts: TStatsAggregatorOptions) {
    this.#opts = opts;
    this.#maxKeys = opts.maxKeys ?? 20_000;
  }

  /** Merges one node window; "overloaded" = refused (pending keys at the bound), nothing merged. */
  add(node: { nodeId: string; group: string; version?: number | null }, window: { windowStart: number; windowEnd: number }, samples: readonly TStatsSample[]): TAdmission {
    if (!samples.length) return "accepted";
    if (this.#pending.size >= this.#maxKeys) return "overloaded";
    const w = ++this.#window;
    // A window belongs to the bucket holding its last millisecond (windows are shorter than a bucket, 5 s by default).
    const bucketStart = bucketOf(Math.max(window.windowStart, window.windowEnd - 1), RAW_RESOLUTION_S).getTime();
    for (const s of samples) {
      this.#merge(w, s, `${bucketStart}\u0000${s.kind}\u0000${s.name}\u0000${s.listener}\u0000${s.cluster}`, () => ({
        bucketStart, windowStart: null, kind: s.kind, nodeId: "", group: "", name: s.name, listener: s.listener, cluster: s.cluster,
      }));
      if (s.kind !== "route") continue;
      this.#merge(w, s, `${bucketStart}\u0000node\u0000${node.nodeId}\u0000${s.listener}`, () => ({
        bucketStart, windowStart: null, kind: "node" as TStatsKind, nodeId: node.nodeId, group: "", name: "", listener: s.listener, cluster: "",
      }));
      this.#merge(w, s, `${bucketStart}\u0000group\u0000${node.group}\u0000${window.windowStart}`, () => ({
        bucketStart, windowStart: window.windowStart, kind: "group" as TStatsKind, nodeId: "", group: node.group, name: "", listener: "", cluster: "",
      }));
      // The same per version the node served (nodeId "@v<version>"): a stepped rollout's guard
      // reads the nodes on the new version only, not diluted by the rest of the group.
      if (node.version === undefined || node.version === null) continue;
      const served = `@v${node.version}`;
      this.#merge(w, s, `${bucketStart}\u0000group\u0000${node.group}\u0000${served}\u0000${window.windowStart}`, () => ({
        bucketStart, windowStart: window.windowStart, kind: "group" as TStatsKind, nodeId: served, group: node.group, name: "", listener: "", cluster: "",
      }));
    }
    this.#pendingEntries += samples.length;
    return "accepted";
  }

  #merge(w: number, s: TStatsSample, key: string, row: () => TAcc["row"]): void {
    let a = this.#pending.get(key);
    if (!a) {
      a = { row: row(), requests: 0, classes: [0, 0, 0, 0, 0], bytesIn: 0, bytesOut: 0, latencySum: 0, counts: new Map(), windows: 0, seenBy: 0 };
      this.#pending.set(key, a);
    }
    addCounters(a, s);
    if (a.seenBy !== w) {
      a.seenBy = w;
      a.windows++;
    }
  }

  /** Pending keys now (what the bound counts). */
  pendingKeys(): number {
    return this.#pending.size;
  }

  /**
   * The stats interval nodes should use now: 0 (their own) while flushes keep up; longer
   * (doubling with the backlog, at most PACE_MAX_MS) while pending keys pile up past half
   * the bound or flushes fail or take longer than the flush interval.
   */
  pace(flushIntervalMs: number): number {
    const load = Math.max(this.#pending.size / this.#maxKeys, this.#lastFlushMs / flushIntervalMs, this.#failures ? 1 : 0);
    if (load < 0.5) return PACE_NORMAL_MS;
    return Math.min(PACE_MAX_MS, 10_000 * 2 ** Math.min(3, Math.floor((load - 0.5) * 4)));
  }

  /** Stores everything pending; concurrent calls share one flush. A failed batch is merged back for the next one. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flushOnce().finally(() => (this.#flushing = null));
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    if (!this.#pending.size) return;
    const batch = this.#pending;
    const entries = this.#pendingEntries;
    this.#pending = new Map();
    this.#pendingEntries = 0;
    const rows: TStatsRowInput[] = [];
    for (const a of batch.values()) {
      rows.push({ ...a.row, requests: a.requests, classes: a.classes, bytesIn: a.bytesIn, bytesOut: a.bytesOut, latencySum: a.latencySum, counts: [...a.counts].sort((x, y) => x[0] - y[0]), windows: a.windows });
    }
    const t0 = performance.now();
    try {
      await this.#opts.write(rows);
      this.#failures = 0;
    } catch (err) {
      this.#failures++;
      // Nothing is lost: the batch merges back under the same keys (bounded like any window).
      for (const [key, a] of batch) {
        const cur = this.#pending.get(key);
        if (!cur) this.#pending.set(key, a);
        else mergeAcc(cur, a);
      }
      this.#pendingEntries += entries;
      throw err;
    } finally {
      this.#lastFlushMs = performance.now() - t0;
    }
    this.#opts.onStored?.(entries, rows.length);
  }
}

type TCounters = Pick<TAcc, "requests" | "classes" | "bytesIn" | "bytesOut" | "latencySum"> & { counts: Iterable<[number, number]> };

function addCounters(into: TAcc, from: TCounters): void {
  into.requests += from.requests;
  for (let i = 0; i < 5; i++) into.classes[i as 0] += from.classes[i as 0];
  into.bytesIn += from.bytesIn;
  into.bytesOut += from.bytesOut;
  into.latencySum += from.latencySum;
  for (const [i, c] of from.counts) into.counts.set(i, (into.counts.get(i) ?? 0) + c);
}

function mergeAcc(into: TAcc, from: TAcc): void {
  addCounters(into, from);
  into.windows += from.windows;
}
