import { getTraceSpans, listHealthEvents, listTraces, listVersionMarkers } from "@switchyard/db";
import type { TKind } from "../telemetry/query.ts";
import { telemetryReader } from "../telemetry/reader.ts";
import { buildTopology } from "../telemetry/topology.ts";
import { toTraceFilter, traceSummary, waterfall, type TTraceQuery } from "../telemetry/traces.ts";
import { AppError } from "./app-error.ts";
import type { Db } from "./context.ts";

/**
 * What the dashboards, topology and traces pages and GET /api/v1/metrics/* and /traces
 * read: traffic figures through the telemetry reader (stored stats buckets, or PromQL
 * when SWITCHYARD_PROMETHEUS_URL is set: reader.ts), spans and markers from the database.
 */

/** Per route or cluster over the last `window` seconds, merged over every node (histograms added, percentiles from the merge). */
export async function metricsSummary(db: Db, q: { kind: TKind; window: number }) {
  return { window: q.window, generatedAt: new Date().toISOString(), source: telemetryReader(db).mode, items: await telemetryReader(db).summarize(q.kind, q.window) };
}

/** A dashboard: the series of one route / cluster (or all of a kind), publish / rollback markers, a cluster's health events. */
export async function dashboardSeries(db: Db, q: { kind: TKind; rangeS: number; name?: string | undefined }, now = Date.now()) {
  const since = new Date(now - q.rangeS * 1000);
  const [s, markers, health] = await Promise.all([
    telemetryReader(db).series({ kind: q.kind, rangeS: q.rangeS, ...(q.name !== undefined ? { name: q.name } : {}) }, now),
    listVersionMarkers(db, since),
    q.kind === "cluster" && q.name !== undefined ? listHealthEvents(db, { cluster: q.name, since, limit: 100 }) : Promise.resolve([]),
  ]);
  return { ...s, markers, health: health.map((h) => ({ ...h, at: h.at.getTime() })) };
}

export async function topology(db: Db, q: { windowS: number }) {
  return buildTopology(db, q.windowS);
}

/** Recent traces, newest first, with the traces page's filters. */
export async function listTraceSummaries(db: Db, q: TTraceQuery) {
  return (await listTraces(db, toTraceFilter(q))).map(traceSummary);
}

/** Every stored span of one trace, as a waterfall. */
export async function traceWaterfall(db: Db, q: { traceId: string }) {
  const spans = await getTraceSpans(db, q.traceId);
  if (!spans.length) throw new AppError("NOT_FOUND", `no spans stored for trace ${q.traceId}`);
  return waterfall(spans);
}
