import {
  RAW_RESOLUTION_S,
  ROLLUP_RESOLUTION_S,
  queryStatsRows,
  rollupWatermark,
  type Db,
  type TStatsRow,
} from "@switchyard/db";
import { addRow, figures, newAgg, type TAgg, type TFigures } from "./aggregate.ts";

/**
 * Reads for dashboards and the REST API. Ranges up to RAW_MAX_RANGE_S read the 10 s
 * buckets; longer ranges read the 1 min rollups up to the rollup watermark and the raw
 * buckets after it, so the newest minutes are never missing.
 */
const RAW_MAX_RANGE_S = 6 * 3600;

export type TKind = "route" | "cluster";

/**
 * Rows are pre-aggregated at ingest (stats-aggregator.ts): route and cluster rows are
 * summed over every node, so a read grows with routes and time, not with nodes; "node"
 * rows hold each node's route totals per listener.
 */
export async function loadRows(db: Db, q: { kind: TKind | "node"; from: Date; to: Date; name?: string }): Promise<TStatsRow[]> {
  const rangeS = (q.to.getTime() - q.from.getTime()) / 1000;
  if (rangeS <= RAW_MAX_RANGE_S) return queryStatsRows(db, { ...q, resolution: RAW_RESOLUTION_S });
  const watermark = (await rollupWatermark(db)) ?? q.from;
  const split = new Date(Math.min(Math.max(watermark.getTime(), q.from.getTime()), q.to.getTime()));
  const [rolled, raw] = await Promise.all([
    split > q.from ? queryStatsRows(db, { ...q, to: split, resolution: ROLLUP_RESOLUTION_S }) : Promise.resolve([]),
    queryStatsRows(db, { ...q, from: split, resolution: RAW_RESOLUTION_S }),
  ]);
  return [...rolled, ...raw];
}

/** Start of the window that reaches back `windowS` seconds, aligned to the raw buckets. */
function windowStart(now: number, windowS: number): Date {
  const w = RAW_RESOLUTION_S * 1000;
  return new Date(Math.floor((now - windowS * 1000) / w) * w);
}

export type TNameFigures = TFigures & { name: string; rps: number };

/** Per route (or cluster) name over the last `windowS` seconds, merged over every node, listener and cluster. */
export async function summarize(db: Db, kind: TKind, windowS: number, now = Date.now()): Promise<TNameFigures[]> {
  const from = windowStart(now, windowS);
  const rows = await loadRows(db, { kind, from, to: new Date(now + 1) });
  const byName = new Map<string, TAgg>();
  for (const r of rows) {
    let a = byName.get(r.name);
    if (!a) byName.set(r.name, (a = newAgg()));
    addRow(a, r);
  }
  return [...byName.entries()]
    .map(([name, a]) => ({ name, ...figures(a), rps: a.requests / windowS }))
    .sort((x, y) => x.name.localeCompare(y.name));
}

export type TPoint = {
  t: number;
  requests: number;
  rps: number;
  c2xx: number;
  c3xx: number;
  c4xx: number;
  c5xx: number;
  errorRatio: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
};

/** Picks a step that gives at most ~180 points: 10 s up to 30 min, then whole minutes. */
export function stepFor(rangeS: number): number {
  if (rangeS <= 1800) return RAW_RESOLUTION_S;
  return Math.max(ROLLUP_RESOLUTION_S, Math.ceil(rangeS / 180 / 60) * 60);
}

export type TSeries = { stepS: number; from: number; to: number; points: TPoint[]; total: TNameFigures };

/** A time series for one name (or every name of the kind when `name` is undefined). */
export async function series(db: Db, q: { kind: TKind; name?: string; rangeS: number }, now = Date.now()): Promise<TSeries> {
  const stepS = stepFor(q.rangeS);
  const stepMs = stepS * 1000;
  const from = Math.floor((now - q.rangeS * 1000) / stepMs) * stepMs;
  const rows = await loadRows(db, { kind: q.kind, from: new Date(from), to: new Date(now + 1), ...(q.name !== undefined ? { name: q.name } : {}) });
  const buckets = new Map<number, TAgg>();
  const total = newAgg();
  for (const r of rows) {
    const t = Math.floor(r.bucketStart.getTime() / stepMs) * stepMs;
    let a = buckets.get(t);
    if (!a) buckets.set(t, (a = newAgg()));
    addRow(a, r);
    addRow(total, r);
  }
  const points: TPoint[] = [];
  for (let t = from; t <= now; t += stepMs) points.push(pointOf(t, stepS, figures(buckets.get(t) ?? newAgg())));
  return { stepS, from, to: now, points, total: { name: q.name ?? "*", ...figures(total), rps: total.requests / q.rangeS } };
}

/** One chart point from a step's figures (both telemetry readers build their points here). */
export function pointOf(t: number, stepS: number, f: TFigures): TPoint {
  return {
    t,
    requests: f.requests,
    rps: f.requests / stepS,
    c2xx: f.statusClasses["2xx"],
    c3xx: f.statusClasses["3xx"],
    c4xx: f.statusClasses["4xx"],
    c5xx: f.statusClasses["5xx"],
    errorRatio: f.errorRatio,
    p50Ms: f.p50Ms,
    p95Ms: f.p95Ms,
    p99Ms: f.p99Ms,
  };
}
