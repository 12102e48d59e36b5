import { LATENCY_BOUNDS_MS, LATENCY_LAYOUT_ID, hasStandardLayout } from "./histogram.ts";
import type { TStatsClusterRow, TStatsMessage, TStatsRouteRow } from "./protocol.ts";

/**
 * The stats frame's two wire forms (protocol.ts ZStatsMessage) to one decoded sample
 * list, and the proxy's side of the compact form. Histograms travel as runs: counts in
 * layout order, a negative number -k standing for k empty buckets, trailing empties left
 * out. A route seeing 8 ms +- a factor of 3 fills ~30 of the 184 buckets, so a
 * histogram costs ~100 bytes instead of the ~1.9 KB of bounds and dense counts.
 */
const SLOTS = LATENCY_BOUNDS_MS.length + 1;

/** Sparse counts: [bucket index, count] pairs in index order. */
export type TSparseCounts = [number, number][];

/** One route or cluster row of a window, whichever form it came in. */
export type TStatsSample = {
  kind: "route" | "cluster";
  name: string;
  /** Route samples; "" on cluster samples. */
  listener: string;
  /** Route samples: the cluster the requests went to ("" for local replies); cluster samples: the name again. */
  cluster: string;
  requests: number;
  /** 1xx..5xx */
  classes: [number, number, number, number, number];
  bytesIn: number;
  bytesOut: number;
  latencySum: number;
  counts: TSparseCounts;
};

/** Runs of a dense count array (see the file comment). */
export function encodeRuns(counts: ArrayLike<number>): number[] {
  const out: number[] = [];
  let skip = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] as number;
    if (c === 0) {
      skip++;
      continue;
    }
    // A single empty bucket is shorter as "0" than as "-1".
    if (skip === 1) out.push(0);
    else if (skip > 1) out.push(-skip);
    skip = 0;
    out.push(c);
  }
  return out;
}

/** Runs back to sparse pairs; null when they run past the layout's last bucket. */
export function decodeRuns(runs: readonly number[]): TSparseCounts | null {
  const out: TSparseCounts = [];
  let i = 0;
  for (const r of runs) {
    if (r < 0) {
      i -= r;
      continue;
    }
    if (i >= SLOTS) return null;
    if (r > 0) out.push([i, r]);
    i++;
  }
  return i <= SLOTS ? out : null;
}

function sparseTotal(counts: TSparseCounts): number {
  let n = 0;
  for (const [, c] of counts) n += c;
  return n;
}

/** Rows in a stats frame, in either form (what per-frame caps count). */
export function statsEntryCount(msg: Pick<TStatsMessage, "routes" | "clusters" | "entries">): number {
  return msg.routes.length + msg.clusters.length + msg.entries.length;
}

/**
 * Every row of a frame as samples, or why the frame cannot be stored: a layout other than
 * this build's (it would merge wrong), runs past the last bucket, or a histogram whose
 * count differs from the row's requests (every request is timed once).
 */
export function statsSamples(msg: TStatsMessage): { samples: TStatsSample[] } | { error: string } {
  const samples: TStatsSample[] = [];
  if (msg.routes.length || msg.clusters.length) {
    if (msg.layout !== LATENCY_LAYOUT_ID) return { error: `layout: histogram layout "${msg.layout ?? ""}" is not this console's "${LATENCY_LAYOUT_ID}"` };
    for (let i = 0; i < msg.routes.length; i++) {
      const s = routeSample(msg.routes[i] as TStatsRouteRow);
      if ("error" in s) return { error: `routes[${i}]: ${s.error}` };
      samples.push(s);
    }
    for (let i = 0; i < msg.clusters.length; i++) {
      const s = clusterSample(msg.clusters[i] as TStatsClusterRow);
      if ("error" in s) return { error: `clusters[${i}]: ${s.error}` };
      samples.push(s);
    }
  }
  for (let i = 0; i < msg.entries.length; i++) {
    const e = msg.entries[i]!;
    if (!hasStandardLayout(e.latency)) {
      return { error: `entries[${i}].latency: histogram must use the shared layout (${LATENCY_BOUNDS_MS.length} bounds from config-model's LATENCY_BOUNDS_MS)` };
    }
    const counts: TSparseCounts = [];
    e.latency.counts.forEach((c, j) => c && counts.push([j, c]));
    const cc = e.codeClasses;
    samples.push({
      kind: e.kind,
      name: e.name,
      listener: e.kind === "route" ? (e.listener ?? "") : "",
      cluster: e.kind === "route" ? (e.cluster ?? "") : e.name,
      requests: e.requests,
      classes: [cc["1xx"], cc["2xx"], cc["3xx"], cc["4xx"], cc["5xx"]],
      bytesIn: e.bytesIn,
      bytesOut: e.bytesOut,
      latencySum: e.latency.sum,
      counts,
    });
  }
  return { samples };
}

function checked(s: TStatsSample, runs: readonly number[]): TStatsSample | { error: string } {
  const counts = decodeRuns(runs);
  if (!counts) return { error: `latency runs go past the layout's ${SLOTS} buckets` };
  const total = sparseTotal(counts);
  if (total !== s.requests) return { error: `latency histogram counts ${total} requests, the row ${s.requests}` };
  s.counts = counts;
  return s;
}

function routeSample(r: TStatsRouteRow): TStatsSample | { error: string } {
  const [listener, name, cluster, requests, c1, c2, c3, c4, c5, bytesIn, bytesOut, latencySum, runs] = r;
  return checked({ kind: "route", name, listener, cluster, requests, classes: [c1, c2, c3, c4, c5], bytesIn, bytesOut, latencySum, counts: [] }, runs);
}

function clusterSample(r: TStatsClusterRow): TStatsSample | { error: string } {
  const [name, requests, c1, c2, c3, c4, c5, bytesIn, bytesOut, latencySum, runs] = r;
  return checked({ kind: "cluster", name, listener: "", cluster: name, requests, classes: [c1, c2, c3, c4, c5], bytesIn, bytesOut, latencySum, counts: [] }, runs);
}
