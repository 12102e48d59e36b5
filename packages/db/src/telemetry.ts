import { LATENCY_BOUNDS_MS, type THistogram, type TSpan, type TStatsMessage, type THealthMessage } from "@switchyard/config-model";
import type { Db } from "./client.ts";
import { toJson } from "./audit.ts";

/**
 * Telemetry storage (DESIGN.md §2 "Report"): time-bucketed stats with one-minute
 * rollups, sampled spans and endpoint health events, plus the retention job's queries.
 * Histograms are stored sparse ([[bucket index, count], ...]) in config-model's fixed
 * layout; every reader merges them by adding counts (percentiles come from the merge).
 */

/** Raw bucket width and the rollup width, in seconds. */
export const RAW_RESOLUTION_S = 10;
export const ROLLUP_RESOLUTION_S = 60;
const SLOTS = LATENCY_BOUNDS_MS.length + 1;

export type TSparseCounts = [number, number][];

export function toSparse(counts: readonly number[]): TSparseCounts {
  const out: TSparseCounts = [];
  for (let i = 0; i < counts.length; i++) if (counts[i]) out.push([i, counts[i] as number]);
  return out;
}

/** Adds sparse counts into a dense array of the shared layout. */
export function addSparse(into: number[], sparse: unknown): void {
  if (!Array.isArray(sparse)) return;
  for (const pair of sparse as unknown[]) {
    if (!Array.isArray(pair)) continue;
    const [i, c] = pair as [unknown, unknown];
    if (typeof i === "number" && typeof c === "number" && i >= 0 && i < SLOTS) into[i] = (into[i] ?? 0) + c;
  }
}

export function emptyCounts(): number[] {
  return new Array<number>(SLOTS).fill(0);
}

export type TStatsRow = {
  resolution: number;
  bucketStart: Date;
  nodeId: string;
  kind: string;
  name: string;
  listener: string;
  cluster: string;
  requests: number;
  c1xx: number;
  c2xx: number;
  c3xx: number;
  c4xx: number;
  c5xx: number;
  bytesIn: bigint;
  bytesOut: bigint;
  latencySum: number;
  latency: unknown;
};

/** Start of the bucket of `resolutionS` seconds holding instant `ms`. */
export function bucketOf(ms: number, resolutionS: number): Date {
  const w = resolutionS * 1000;
  return new Date(Math.floor(ms / w) * w);
}

/**
 * Stores one stats window of one node as raw rows. A window belongs to the bucket that
 * holds its last millisecond (windows are shorter than a bucket, 5 s by default).
 */
export async function insertStatsWindow(db: Db, nodeId: string, msg: TStatsMessage): Promise<number> {
  if (!msg.entries.length) return 0;
  const bucketStart = bucketOf(Math.max(msg.windowStart, msg.windowEnd - 1), RAW_RESOLUTION_S);
  const e = msg.entries;
  // One statement with one array per column: the same query whatever the number of rows,
  // and a tenth of the CPU of createMany's per-row objects (a full frame: ~30 ms, not ~300).
  return db.prisma.$executeRawUnsafe(
    INSERT_STATS_SQL,
    RAW_RESOLUTION_S,
    bucketStart.getTime(),
    msg.windowStart,
    nodeId,
    e.map((x) => x.kind),
    e.map((x) => x.name),
    e.map((x) => x.listener ?? ""),
    e.map((x) => (x.kind === "route" ? (x.cluster ?? "") : x.name)),
    e.map((x) => x.requests),
    e.map((x) => x.codeClasses["1xx"]),
    e.map((x) => x.codeClasses["2xx"]),
    e.map((x) => x.codeClasses["3xx"]),
    e.map((x) => x.codeClasses["4xx"]),
    e.map((x) => x.codeClasses["5xx"]),
    e.map((x) => String(x.bytesIn)),
    e.map((x) => String(x.bytesOut)),
    e.map((x) => x.latency.sum),
    e.map((x) => JSON.stringify(toSparse(x.latency.counts))),
  );
}

const INSERT_STATS_SQL = `INSERT INTO "StatsBucket"
  ("resolution", "bucketStart", "windowStart", "nodeId", "kind", "name", "listener", "cluster", "requests",
   "c1xx", "c2xx", "c3xx", "c4xx", "c5xx", "bytesIn", "bytesOut", "latencySum", "latency")
SELECT $1::int, to_timestamp($2::float8 / 1000) AT TIME ZONE 'UTC', to_timestamp($3::float8 / 1000) AT TIME ZONE 'UTC', $4::text, t.*
FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::int[], $11::int[], $12::int[], $13::int[], $14::int[],
            $15::bigint[], $16::bigint[], $17::float8[], $18::jsonb[]) AS t`;

/** The longest stats window a proxy reports (its --stats-interval-ms maximum). */
const MAX_WINDOW_MS = 300_000;

export type TGroupWindow = { requests: number; errors5xx: number; histogram: THistogram | null; windows: number };

/**
 * What the rollout SLO guard reads: the stats windows of a node group's nodes that
 * STARTED in [fromMs, toMs), from the raw buckets, summed, with their latency histograms
 * merged (p99 comes from the merge, never from averaged percentiles).
 *
 * - Group: the nodes whose registry row (`Node.group`) is in the group now; buckets carry
 *   the node id only.
 * - Each request counts once: route rows only. A request to a cluster is also in that
 *   cluster's row of the same window (the proxy records cluster rows from the same
 *   requests), so adding cluster rows would count it twice; route rows also hold local
 *   replies (cluster "").
 * - Precision is the node's stats window (5 s by default), not the 10 s bucket: rows keep
 *   their window's start, so windows from before a change never count as after it.
 *   Rollups (no window start) are not read: raw buckets are kept 24 h by default, and the
 *   guard looks back at most 2 h (a 1 h baseline before the change, 1 h after).
 */
export async function readGroupWindow(db: Db, group: string, fromMs: number, toMs: number): Promise<TGroupWindow> {
  const nodes = await db.prisma.node.findMany({ where: { group }, select: { id: true } });
  if (!nodes.length || toMs <= fromMs) return { requests: 0, errors5xx: 0, histogram: null, windows: 0 };
  const rows = await db.prisma.statsBucket.findMany({
    where: {
      resolution: RAW_RESOLUTION_S,
      kind: "route",
      // A window lands in the bucket of its last millisecond: at or after the bucket of its
      // start, and at most the longest window a proxy reports (--stats-interval-ms <= 300 s)
      // later. These bounds only let the index narrow the scan.
      bucketStart: { gte: bucketOf(fromMs, RAW_RESOLUTION_S), lt: new Date(toMs + MAX_WINDOW_MS + RAW_RESOLUTION_S * 1000) },
      windowStart: { gte: new Date(fromMs), lt: new Date(toMs) },
      nodeId: { in: nodes.map((n) => n.id) },
    },
    select: { nodeId: true, windowStart: true, requests: true, c5xx: true, latencySum: true, latency: true },
  });
  let requests = 0;
  let errors5xx = 0;
  let sum = 0;
  const counts = emptyCounts();
  const windows = new Set<string>();
  for (const r of rows) {
    requests += r.requests;
    errors5xx += r.c5xx;
    sum += r.latencySum;
    addSparse(counts, r.latency);
    windows.add(`${r.nodeId}\u0000${r.windowStart?.getTime() ?? 0}`);
  }
  const count = counts.reduce((a, b) => a + b, 0);
  return { requests, errors5xx, histogram: count ? { bounds: [...LATENCY_BOUNDS_MS], counts, sum, count } : null, windows: windows.size };
}

/** Stats rows of one resolution in [from, to), optionally one kind / name. */
export async function queryStatsRows(
  db: Db,
  q: { resolution: number; from: Date; to: Date; kind?: "route" | "cluster"; name?: string; nodeId?: string },
): Promise<TStatsRow[]> {
  return db.prisma.statsBucket.findMany({
    where: {
      resolution: q.resolution,
      bucketStart: { gte: q.from, lt: q.to },
      ...(q.kind ? { kind: q.kind } : {}),
      ...(q.name !== undefined ? { name: q.name } : {}),
      ...(q.nodeId ? { nodeId: q.nodeId } : {}),
    },
    orderBy: { bucketStart: "asc" },
    select: {
      resolution: true, bucketStart: true, nodeId: true, kind: true, name: true, listener: true, cluster: true, requests: true,
      c1xx: true, c2xx: true, c3xx: true, c4xx: true, c5xx: true, bytesIn: true, bytesOut: true, latencySum: true, latency: true,
    },
  });
}

/** End of the rolled-up range: start of the first minute with no rollup yet (null when nothing is rolled up). */
export async function rollupWatermark(db: Db): Promise<Date | null> {
  const last = await db.prisma.statsBucket.findFirst({ where: { resolution: ROLLUP_RESOLUTION_S }, orderBy: { bucketStart: "desc" }, select: { bucketStart: true } });
  return last ? new Date(last.bucketStart.getTime() + ROLLUP_RESOLUTION_S * 1000) : null;
}

/**
 * Rolls raw buckets of complete minutes before `until` into one-minute rows (per node,
 * kind, name, listener, cluster), starting at the watermark. Returns the new watermark.
 * One transaction per run, so a crash never leaves a half-rolled minute.
 */
export async function rollupStats(db: Db, until: Date): Promise<{ watermark: Date | null; rows: number }> {
  let from = await rollupWatermark(db);
  if (!from) {
    const first = await db.prisma.statsBucket.findFirst({ where: { resolution: RAW_RESOLUTION_S }, orderBy: { bucketStart: "asc" }, select: { bucketStart: true } });
    if (!first) return { watermark: null, rows: 0 };
    from = bucketOf(first.bucketStart.getTime(), ROLLUP_RESOLUTION_S);
  }
  const to = bucketOf(until.getTime(), ROLLUP_RESOLUTION_S);
  if (to <= from) return { watermark: from, rows: 0 };
  const raw = await queryStatsRows(db, { resolution: RAW_RESOLUTION_S, from, to });
  const groups = new Map<string, TStatsRow & { counts: number[] }>();
  for (const r of raw) {
    const minute = bucketOf(r.bucketStart.getTime(), ROLLUP_RESOLUTION_S);
    const key = `${minute.getTime()}\u0000${r.nodeId}\u0000${r.kind}\u0000${r.name}\u0000${r.listener}\u0000${r.cluster}`;
    let g = groups.get(key);
    if (!g) {
      g = { ...r, resolution: ROLLUP_RESOLUTION_S, bucketStart: minute, requests: 0, c1xx: 0, c2xx: 0, c3xx: 0, c4xx: 0, c5xx: 0, bytesIn: 0n, bytesOut: 0n, latencySum: 0, counts: emptyCounts() };
      groups.set(key, g);
    }
    g.requests += r.requests;
    g.c1xx += r.c1xx;
    g.c2xx += r.c2xx;
    g.c3xx += r.c3xx;
    g.c4xx += r.c4xx;
    g.c5xx += r.c5xx;
    g.bytesIn += r.bytesIn;
    g.bytesOut += r.bytesOut;
    g.latencySum += r.latencySum;
    addSparse(g.counts, r.latency);
  }
  // Counts are int columns: a minute of one node that sums past them is stored saturated, never failing the whole run.
  const rows = [...groups.values()].map(({ counts, ...g }) => ({
    ...g,
    requests: saturated(g.requests),
    c1xx: saturated(g.c1xx),
    c2xx: saturated(g.c2xx),
    c3xx: saturated(g.c3xx),
    c4xx: saturated(g.c4xx),
    c5xx: saturated(g.c5xx),
    latency: toJson(toSparse(counts)),
  }));
  // A marker row keeps the watermark moving through minutes without traffic.
  const marker = { resolution: ROLLUP_RESOLUTION_S, bucketStart: new Date(to.getTime() - ROLLUP_RESOLUTION_S * 1000), nodeId: "", kind: "marker", name: "", requests: 0, latency: toJson([]) };
  await db.prisma.$transaction([
    db.prisma.statsBucket.deleteMany({ where: { resolution: ROLLUP_RESOLUTION_S, kind: "marker" } }),
    db.prisma.statsBucket.createMany({ data: [...rows, marker] }),
  ]);
  return { watermark: to, rows: rows.length };
}

const INT_MAX = 2_147_483_647;
const saturated = (n: number) => Math.min(n, INT_MAX);

export type TRetention = { rawHours: number; rollupDays: number; spanHours: number };

/** Deletes what is past retention; returns how many rows went, per table. */
export async function pruneTelemetry(db: Db, retention: TRetention, now = new Date()): Promise<{ raw: number; rollup: number; spans: number; health: number }> {
  const h = 3_600_000;
  const [raw, rollup, spans, health] = await Promise.all([
    db.prisma.statsBucket.deleteMany({ where: { resolution: RAW_RESOLUTION_S, bucketStart: { lt: new Date(now.getTime() - retention.rawHours * h) } } }),
    db.prisma.statsBucket.deleteMany({ where: { resolution: ROLLUP_RESOLUTION_S, kind: { not: "marker" }, bucketStart: { lt: new Date(now.getTime() - retention.rollupDays * 24 * h) } } }),
    db.prisma.span.deleteMany({ where: { startTime: { lt: new Date(now.getTime() - retention.spanHours * h) } } }),
    db.prisma.healthEvent.deleteMany({ where: { at: { lt: new Date(now.getTime() - retention.rollupDays * 24 * h) } } }),
  ]);
  return { raw: raw.count, rollup: rollup.count, spans: spans.count, health: health.count };
}

// --- spans ---------------------------------------------------------------------------

export type TStoredSpan = {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  nodeId: string;
  name: string;
  kind: string;
  startTime: Date;
  startUnixNano: string;
  durationMs: number;
  status: string;
  route: string;
  cluster: string;
  httpStatus: number;
  responseFlags: string;
  attributes: unknown;
};

/** Stores a batch of spans; a span seen twice (a resend) is kept once. */
export async function insertSpans(db: Db, nodeId: string, spans: readonly TSpan[]): Promise<number> {
  if (!spans.length) return 0;
  const { count } = await db.prisma.span.createMany({
    skipDuplicates: true,
    data: spans.map((s) => {
      const start = BigInt(s.startUnixNano);
      const a = s.attributes;
      return {
        traceId: s.traceId,
        spanId: s.spanId,
        parentSpanId: s.parentSpanId ?? null,
        nodeId,
        name: s.name,
        kind: s.kind,
        startTime: new Date(Number(start / 1_000_000n)),
        startUnixNano: s.startUnixNano,
        durationMs: Number(BigInt(s.endUnixNano) - start) / 1e6,
        status: s.status,
        route: typeof a["switchyard.route"] === "string" ? a["switchyard.route"] : "",
        cluster: typeof a["switchyard.cluster"] === "string" ? a["switchyard.cluster"] : "",
        httpStatus: typeof a["http.response.status_code"] === "number" ? a["http.response.status_code"] : 0,
        responseFlags: typeof a["switchyard.response_flags"] === "string" ? a["switchyard.response_flags"] : "-",
        attributes: toJson(a),
      };
    }),
  });
  return count;
}

export type TTraceFilter = {
  route?: string;
  /** Exact status (e.g. 503) or class ("5xx"). */
  status?: number | "1xx" | "2xx" | "3xx" | "4xx" | "5xx";
  responseFlag?: string;
  minMs?: number;
  nodeId?: string;
  since?: Date;
  limit: number;
};

/**
 * Recent traces, newest first: the SERVER spans matching the filter, one per trace (the
 * outermost one we hold, i.e. the earliest), with the trace's span count.
 */
export async function listTraces(db: Db, f: TTraceFilter): Promise<(TStoredSpan & { spanCount: number })[]> {
  const status =
    typeof f.status === "number"
      ? { httpStatus: f.status }
      : typeof f.status === "string"
        ? { httpStatus: { gte: Number(f.status[0]) * 100, lt: Number(f.status[0]) * 100 + 100 } }
        : {};
  const rows = await db.prisma.span.findMany({
    where: {
      kind: "server",
      ...(f.route !== undefined ? { route: f.route } : {}),
      ...status,
      ...(f.responseFlag ? { responseFlags: f.responseFlag } : {}),
      ...(f.minMs !== undefined ? { durationMs: { gte: f.minMs } } : {}),
      ...(f.nodeId ? { nodeId: f.nodeId } : {}),
      ...(f.since ? { startTime: { gte: f.since } } : {}),
    },
    orderBy: { startTime: "desc" },
    take: f.limit * 4,
  });
  const seen = new Map<string, TStoredSpan>();
  for (const r of rows) {
    const prev = seen.get(r.traceId);
    if (!prev || r.startTime < prev.startTime) seen.set(r.traceId, r);
  }
  const picked = [...seen.values()].sort((a, b) => b.startTime.getTime() - a.startTime.getTime()).slice(0, f.limit);
  if (!picked.length) return [];
  const counts = await db.prisma.span.groupBy({ by: ["traceId"], where: { traceId: { in: picked.map((p) => p.traceId) } }, _count: { _all: true } });
  const byId = new Map(counts.map((c) => [c.traceId, c._count._all]));
  return picked.map((p) => ({ ...p, spanCount: byId.get(p.traceId) ?? 1 }));
}

export async function getTraceSpans(db: Db, traceId: string): Promise<TStoredSpan[]> {
  return db.prisma.span.findMany({ where: { traceId }, orderBy: { startUnixNano: "asc" } });
}

// --- health --------------------------------------------------------------------------

export async function insertHealthEvents(db: Db, nodeId: string, msg: THealthMessage): Promise<number> {
  if (!msg.events.length) return 0;
  const { count } = await db.prisma.healthEvent.createMany({
    data: msg.events.map((e) => ({ nodeId, cluster: e.cluster, endpoint: e.endpoint, healthy: e.healthy, reason: e.reason, at: new Date(e.at) })),
  });
  return count;
}

export type THealthState = { nodeId: string; cluster: string; endpoint: string; healthy: boolean; reason: string; at: Date };

/** The latest event per (node, cluster, endpoint). */
export async function latestEndpointHealth(db: Db): Promise<THealthState[]> {
  const rows = await db.prisma.$queryRaw<THealthState[]>`
    SELECT DISTINCT ON ("nodeId", "cluster", "endpoint") "nodeId", "cluster", "endpoint", "healthy", "reason", "at"
    FROM "HealthEvent" ORDER BY "nodeId", "cluster", "endpoint", "at" DESC, "id" DESC`;
  return rows;
}

export async function listHealthEvents(db: Db, q: { cluster?: string; since: Date; limit?: number }): Promise<THealthState[]> {
  return db.prisma.healthEvent.findMany({
    where: { at: { gte: q.since }, ...(q.cluster ? { cluster: q.cluster } : {}) },
    orderBy: { at: "desc" },
    take: q.limit ?? 200,
    select: { nodeId: true, cluster: true, endpoint: true, healthy: true, reason: true, at: true },
  });
}

// --- chart markers -----------------------------------------------------------------------

export type TVersionMarker = { version: number; at: number; message: string; rollback: boolean; author: string };

/** Publish and rollback events since `since`, for the markers drawn on every chart. */
export async function listVersionMarkers(db: Db, since: Date): Promise<TVersionMarker[]> {
  const rows = await db.prisma.configVersion.findMany({
    where: { createdAt: { gte: since } },
    orderBy: { version: "asc" },
    select: { version: true, createdAt: true, message: true, author: true },
  });
  // rollbackToVersion writes exactly this message (versions.ts).
  return rows.map((r) => ({ version: r.version, at: r.createdAt.getTime(), message: r.message, author: r.author, rollback: /^rollback to v\d+$/.test(r.message) }));
}
