import type { THistogram, TStatsMessage } from "@switchyard/config-model";
import { toJson } from "./audit.ts";
import type { Db } from "./client.ts";

/**
 * The minimal stats storage the SLO guard reads: one row per node and stats window,
 * summed over the node's routes. Observability storage proper (time buckets per route
 * and cluster, retention, dashboards) is issue #7's, which should take this over.
 */

export type TGroupWindow = { requests: number; errors5xx: number; histogram: THistogram | null; windows: number };

/** Stores one stats frame of a node (route entries only: cluster entries count the same requests again). */
export async function recordStatsWindow(db: Db, nodeId: string, group: string, msg: TStatsMessage): Promise<void> {
  const routes = msg.entries.filter((e) => e.kind === "route");
  const entries = routes.length ? routes : msg.entries.filter((e) => e.kind === "cluster");
  let requests = 0;
  let errors5xx = 0;
  let histogram: THistogram | null = null;
  for (const e of entries) {
    requests += e.requests;
    errors5xx += e.codeClasses["5xx"];
    histogram = histogram ? mergeHistograms(histogram, e.latency) : e.latency;
  }
  await db.prisma.nodeStatsWindow.create({
    data: {
      nodeId,
      group,
      windowStart: new Date(msg.windowStart),
      windowEnd: new Date(msg.windowEnd),
      requests,
      errors5xx,
      latency: toJson(histogram ?? { bounds: [], counts: [0], sum: 0, count: 0 }),
    },
  });
}

/** Sum of the group's windows that started in [fromMs, toMs), histograms merged (never percentiles averaged). */
export async function readGroupWindow(db: Db, group: string, fromMs: number, toMs: number): Promise<TGroupWindow> {
  const rows = await db.prisma.nodeStatsWindow.findMany({
    where: { group, windowStart: { gte: new Date(fromMs), lt: new Date(toMs) } },
    select: { requests: true, errors5xx: true, latency: true },
  });
  let requests = 0;
  let errors5xx = 0;
  let histogram: THistogram | null = null;
  for (const r of rows) {
    requests += r.requests;
    errors5xx += r.errors5xx;
    const h = r.latency as THistogram;
    if (h.count > 0) histogram = histogram ? mergeHistograms(histogram, h) : h;
  }
  return { requests, errors5xx, histogram, windows: rows.length };
}

/** Windows older than `beforeMs` are dropped (the guard only looks back one window). */
export async function pruneStatsWindows(db: Db, beforeMs: number): Promise<number> {
  const { count } = await db.prisma.nodeStatsWindow.deleteMany({ where: { windowEnd: { lt: new Date(beforeMs) } } });
  return count;
}

/**
 * Adds two histograms. Same bounds: bucket by bucket. Different bounds (nodes of
 * different builds): each bucket of `b` is added to the first bucket of `a` whose bound
 * holds it, which can only move counts up (p99 is never under-estimated).
 */
export function mergeHistograms(a: THistogram, b: THistogram): THistogram {
  const same = a.bounds.length === b.bounds.length && a.bounds.every((x, i) => x === b.bounds[i]);
  const counts = [...a.counts];
  if (same) {
    for (let i = 0; i < counts.length; i++) counts[i] = (counts[i] ?? 0) + (b.counts[i] ?? 0);
  } else {
    b.counts.forEach((c, i) => {
      const bound = b.bounds[i] ?? Infinity;
      const j = a.bounds.findIndex((x) => x >= bound);
      const at = j === -1 ? counts.length - 1 : j;
      counts[at] = (counts[at] ?? 0) + c;
    });
  }
  return { bounds: a.bounds, counts, sum: a.sum + b.sum, count: a.count + b.count };
}

/** The q-quantile (0..1) as the upper bound of the bucket holding it; null without data, Infinity in the +Inf bucket. */
export function quantileOf(h: THistogram | null, q: number): number | null {
  if (!h || h.count === 0) return null;
  const rank = Math.ceil(q * h.count);
  let seen = 0;
  for (let i = 0; i < h.counts.length; i++) {
    seen += h.counts[i] ?? 0;
    if (seen >= rank) return h.bounds[i] ?? Infinity;
  }
  return Infinity;
}
