import { percentileMs } from "@switchyard/config-model";
import { addSparse, emptyCounts, type TStatsRow } from "@switchyard/db";

/**
 * Merging stored stats rows: counters add, histograms add bucket by bucket, and the
 * percentiles are read from the merged histogram (never an average of percentiles).
 */
export type TAgg = {
  requests: number;
  classes: [number, number, number, number, number];
  bytesIn: number;
  bytesOut: number;
  latencySum: number;
  counts: number[];
};

export function newAgg(): TAgg {
  return { requests: 0, classes: [0, 0, 0, 0, 0], bytesIn: 0, bytesOut: 0, latencySum: 0, counts: emptyCounts() };
}

export function addRow(agg: TAgg, r: TStatsRow): void {
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

const round = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);

export function figures(agg: TAgg): TFigures {
  const [c1, c2, c3, c4, c5] = agg.classes;
  return {
    requests: agg.requests,
    statusClasses: { "1xx": c1, "2xx": c2, "3xx": c3, "4xx": c4, "5xx": c5 },
    errorRatio: agg.requests ? c5 / agg.requests : 0,
    p50Ms: round(percentileMs(agg.counts, 0.5)),
    p95Ms: round(percentileMs(agg.counts, 0.95)),
    p99Ms: round(percentileMs(agg.counts, 0.99)),
    meanMs: agg.requests ? round(agg.latencySum / agg.requests) : null,
    bytesIn: agg.bytesIn,
    bytesOut: agg.bytesOut,
  };
}
