import { LATENCY_BOUNDS_MS, LATENCY_LAYOUT_ID, encodeRuns, latencyBucket, type TStatsClusterRow, type TStatsRouteRow } from "@switchyard/config-model";

/**
 * Per-route and per-cluster counters and latency histograms for one reporting window
 * (DESIGN §2 "Report"), in the fixed bucket layout of config-model's histogram.ts so the
 * console merges windows from every node by adding counts.
 *
 * Cardinality is bounded by the config: keys are (listener, route, cluster) names, never
 * paths. Accumulators are looked up through nested maps (no key string per request) and
 * survive across windows; take() copies and zeroes them, and forgets keys idle for a
 * whole window so names removed by a new config do not linger.
 *
 * take() builds the compact wire form (protocol.ts ZStatsMessage): the layout named once
 * by its id, positional rows, sparse histogram runs, only keys that saw traffic.
 */
export type TStatsWindowMessage = {
  type: "stats";
  windowStart: number;
  windowEnd: number;
  layout: string;
  routes: TStatsRouteRow[];
  clusters: TStatsClusterRow[];
};

type TAcc = {
  requests: number;
  classes: [number, number, number, number, number];
  bytesIn: number;
  bytesOut: number;
  sum: number;
  counts: Float64Array;
};

const SLOTS = LATENCY_BOUNDS_MS.length + 1;

function newAcc(): TAcc {
  return { requests: 0, classes: [0, 0, 0, 0, 0], bytesIn: 0, bytesOut: 0, sum: 0, counts: new Float64Array(SLOTS) };
}

function add(acc: TAcc, status: number, ms: number, bytesIn: number, bytesOut: number, bucket: number): void {
  acc.requests++;
  const cls = ((status / 100) | 0) - 1;
  if (cls >= 0 && cls < 5) acc.classes[cls as 0]++;
  acc.bytesIn += bytesIn;
  acc.bytesOut += bytesOut;
  acc.sum += ms;
  acc.counts[bucket] = (acc.counts[bucket] as number) + 1;
}

export class StatsWindow {
  /** listener -> route -> cluster -> acc */
  readonly #routes = new Map<string, Map<string, Map<string, TAcc>>>();
  readonly #clusters = new Map<string, TAcc>();
  #start = Date.now();

  /** One finished downstream request (status 0 = client gone before any response). */
  record(listener: string, route: string, cluster: string, status: number, ms: number, bytesIn: number, bytesOut: number): void {
    const bucket = latencyBucket(ms);
    let byRoute = this.#routes.get(listener);
    if (!byRoute) this.#routes.set(listener, (byRoute = new Map()));
    let byCluster = byRoute.get(route);
    if (!byCluster) byRoute.set(route, (byCluster = new Map()));
    let acc = byCluster.get(cluster);
    if (!acc) byCluster.set(cluster, (acc = newAcc()));
    add(acc, status, ms, bytesIn, bytesOut, bucket);
    if (cluster !== "") {
      let c = this.#clusters.get(cluster);
      if (!c) this.#clusters.set(cluster, (c = newAcc()));
      add(c, status, ms, bytesIn, bytesOut, bucket);
    }
  }

  /** Closes the window: a stats message with every key that saw traffic (null when none did). */
  take(now = Date.now()): TStatsWindowMessage | null {
    const routes: TStatsRouteRow[] = [];
    const clusters: TStatsClusterRow[] = [];
    for (const [listener, byRoute] of this.#routes) {
      for (const [route, byCluster] of byRoute) {
        for (const [cluster, acc] of byCluster) {
          if (acc.requests === 0) {
            byCluster.delete(cluster);
            continue;
          }
          routes.push([listener, route, cluster, ...drain(acc)]);
        }
        if (byCluster.size === 0) byRoute.delete(route);
      }
      if (byRoute.size === 0) this.#routes.delete(listener);
    }
    for (const [cluster, acc] of this.#clusters) {
      if (acc.requests === 0) this.#clusters.delete(cluster);
      else clusters.push([cluster, ...drain(acc)]);
    }
    const windowStart = this.#start;
    this.#start = now;
    return routes.length || clusters.length ? { type: "stats", windowStart, windowEnd: now, layout: LATENCY_LAYOUT_ID, routes, clusters } : null;
  }
}

type TRowTail = [number, number, number, number, number, number, number, number, number, number[]];

/** [requests, 1xx..5xx, bytesIn, bytesOut, latency sum (ms, to the microsecond), runs], and zeroes the accumulator. */
function drain(acc: TAcc): TRowTail {
  const [c1, c2, c3, c4, c5] = acc.classes;
  const out: TRowTail = [acc.requests, c1, c2, c3, c4, c5, acc.bytesIn, acc.bytesOut, Math.round(acc.sum * 1000) / 1000, encodeRuns(acc.counts)];
  acc.requests = 0;
  acc.classes = [0, 0, 0, 0, 0];
  acc.bytesIn = 0;
  acc.bytesOut = 0;
  acc.sum = 0;
  acc.counts.fill(0);
  return out;
}
