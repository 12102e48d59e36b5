import { LATENCY_BOUNDS_MS, hasStandardLayout, percentileMs, type THistogram } from "@switchyard/config-model";
import { addSparse, type TStatsRow } from "@switchyard/db";

/**
 * Merging stats rows: counters add, histograms add bucket by bucket, and the percentiles
 * are read from the merged histogram (never an average of percentiles).
 *
 * Two histogram layouts reach the console: the shared log layout of config-model (stats
 * frames, PostgreSQL mode) and the proxies' Prometheus buckets (`le` bounds, Prometheus
 * mode). A layout knows its bounds and how a quantile is read from it; rows of one read
 * always share one layout.
 */
export type TLatencyLayout = { readonly boundsMs: readonly number[]; quantileMs(counts: readonly number[], q: number): number | null };

/** config-model's layout: nearest rank, the geometric midpoint of the bucket (<= 3.9 % off). */
export const STANDARD_LAYOUT: TLatencyLayout = { boundsMs: LATENCY_BOUNDS_MS, quantileMs: percentileMs };

/** A Prometheus histogram's layout (upper bounds in ms, +Inf implied): quantiles as PromQL's histogram_quantile reads them. */
export function prometheusLayout(boundsMs: readonly number[]): TLatencyLayout {
  return { boundsMs, quantileMs: (counts, q) => histogramQuantileMs(boundsMs, counts, q) };
}

/**
 * PromQL's histogram_quantile over non-cumulative counts (the last slot is +Inf): linear
 * interpolation inside the bucket holding the rank, the first bucket starting at 0, and
 * the highest finite bound when the rank falls in +Inf. Null without observations.
 */
export function histogramQuantileMs(boundsMs: readonly number[], counts: readonly number[], q: number): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (!(total > 0)) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] as number;
    if (below + c >= rank && c > 0) {
      if (i >= boundsMs.length) return boundsMs.at(-1) ?? null;
      const start = i === 0 ? 0 : (boundsMs[i - 1] as number);
      return start + ((boundsMs[i] as number) - start) * ((rank - below) / c);
    }
    below += c;
  }
  return boundsMs.at(-1) ?? null;
}

/** A quantile of a histogram in whichever layout it carries. */
export function histogramQuantile(h: Pick<THistogram, "bounds" | "counts">, q: number): number | null {
  return hasStandardLayout(h) ? percentileMs(h.counts, q) : histogramQuantileMs(h.bounds, h.counts, q);
}

export type TAgg = {
  layout: TLatencyLayout;
  requests: number;
  classes: [number, number, number, number, number];
  bytesIn: number;
  bytesOut: number;
  latencySum: number;
  counts: number[];
};

/** The row fields a merge reads (stored rows, or rows built from Prometheus answers). */
export type TTrafficRow = Pick<TStatsRow, "nodeId" | "name" | "listener" | "cluster" | "requests" | "c1xx" | "c2xx" | "c3xx" | "c4xx" | "c5xx" | "latencySum" | "latency"> & {
  bytesIn: bigint | number;
  bytesOut: bigint | number;
};

export function newAgg(layout: TLatencyLayout = STANDARD_LAYOUT): TAgg {
  return { layout, requests: 0, classes: [0, 0, 0, 0, 0], bytesIn: 0, bytesOut: 0, latencySum: 0, counts: new Array<number>(layout.boundsMs.length + 1).fill(0) };
}

export function addRow(agg: TAgg, r: TTrafficRow): void {
  agg.requests += r.requests;
  agg.classes[0] += r.c1xx;
  agg.classes[1] += r.c2xx;
  agg.classes[2] += r.c3xx;
  agg.classes[3] += r.c4xx;
  agg.classes[4] += r.c5xx;
  agg.bytesIn += Number(r.bytesIn);
  agg.bytesOut += Number(r.bytesOut);
  agg.latencySum += r.latencySum;
  addSparse(agg.counts, r.latency);
}

export type TFigures = {
  requests: number;
  statusClasses: { "1xx": number; "2xx": number; "3xx": number; "4xx": number; "5xx": number };
  /** 5xx / requests (0 when there were none). */
  errorRatio: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  meanMs: number | null;
  bytesIn: number;
  bytesOut: number;
};

export const roundMs = (v: number | null) => (v === null || !Number.isFinite(v) ? null : Math.round(v * 1000) / 1000);

export function figures(agg: TAgg): TFigures {
  const [c1, c2, c3, c4, c5] = agg.classes;
  return {
    requests: agg.requests,
    statusClasses: { "1xx": c1, "2xx": c2, "3xx": c3, "4xx": c4, "5xx": c5 },
    errorRatio: agg.requests ? c5 / agg.requests : 0,
    p50Ms: roundMs(agg.layout.quantileMs(agg.counts, 0.5)),
    p95Ms: roundMs(agg.layout.quantileMs(agg.counts, 0.95)),
    p99Ms: roundMs(agg.layout.quantileMs(agg.counts, 0.99)),
    meanMs: agg.requests ? roundMs(agg.latencySum / agg.requests) : null,
    bytesIn: agg.bytesIn,
    bytesOut: agg.bytesOut,
  };
}
