import { LATENCY_BOUNDS_MS, type THistogram, type TSparseCounts, type TSpan, type THealthMessage } from "@switchyard/config-model";
import type pg from "pg";
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

export type { TSparseCounts };

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

/**
 * Row kinds of StatsBucket. The console pre-aggregates node windows before storing them
 * (apps/web/src/server/telemetry/stats-aggregator.ts), so rows grow with routes, not
 * with nodes x routes:
 * - "route" / "cluster": per (listener, route, cluster) / cluster, summed over every node
 *   (nodeId ""; rows stored per node before issue #21 carry theirs and read the same);
 * - "node": per node and listener, route rows summed (the topology's node edges);
 * - "group": per node group and window start, route rows summed (the SLO guard's
 *   figures: one row per node window, without the route dimension);
 * - "marker": the rollup watermark (one row, resolution 60).
 */
export type TStatsKind = "route" | "cluster" | "node" | "group";

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

/** One pre-aggregated raw row to store (times in epoch ms). */
export type TStatsRowInput = {
  bucketStart: number;
  windowStart: number | null;
  kind: TStatsKind;
  nodeId: string;
  group: string;
  name: string;
  listener: string;
  cluster: string;
  requests: number;
  classes: readonly [number, number, number, number, number];
  bytesIn: number;
  bytesOut: number;
  latencySum: number;
  counts: TSparseCounts;
  windows: number;
};

const INT_MAX = 2_147_483_647;
const int = (n: number) => Math.min(Math.round(n), INT_MAX);

/**
 * Stores raw rows in ONE statement, whatever their number: one array per column through
 * node-postgres (db.pool), unnested by PostgreSQL. Prisma's createMany builds an object
 * per row and a statement per call; this is the console's hot write path. Counts past the
 * int columns are stored saturated rather than failing the batch.
 */
export async function insertStatsRows(db: Db, rows: readonly TStatsRowInput[]): Promise<number> {
  if (!rows.length) return 0;
  const col = <T>(f: (r: TStatsRowInput) => T) => rows.map(f);
  const res = await db.pool.query(INSERT_STATS_SQL, [
    RAW_RESOLUTION_S,
    col((r) => new Date(r.bucketStart)),
    col((r) => (r.windowStart === null ? null : new Date(r.windowStart))),
    col((r) => r.nodeId),
    col((r) => r.group),
    col((r) => r.kind),
    col((r) => r.name),
    col((r) => r.listener),
    col((r) => r.cluster),
    col((r) => int(r.requests)),
    col((r) => int(r.classes[0])),
    col((r) => int(r.classes[1])),
    col((r) => int(r.classes[2])),
    col((r) => int(r.classes[3])),
    col((r) => int(r.classes[4])),
    col((r) => String(Math.round(r.bytesIn))),
    col((r) => String(Math.round(r.bytesOut))),
    col((r) => r.latencySum),
    col((r) => JSON.stringify(r.counts)),
    col((r) => int(r.windows)),
  ]);
  return res.rowCount ?? rows.length;
}

// timestamp(3) columns hold UTC wall time: the Date parameters are sent as timestamptz and converted.
const INSERT_STATS_SQL = `INSERT INTO "StatsBucket"
  ("resolution", "bucketStart", "windowStart", "nodeId", "group", "kind", "name", "listener", "cluster", "requests",
   "c1xx", "c2xx", "c3xx", "c4xx", "c5xx", "bytesIn", "bytesOut", "latencySum", "latency", "windows")
SELECT $1::int, t.b AT TIME ZONE 'UTC', t.w AT TIME ZONE 'UTC', t.n, t.g, t.k, t.name, t.l, t.c, t.q, t.c1, t.c2, t.c3, t.c4, t.c5, t.bi, t.bo, t.s, t.h, t.win
FROM unnest($2::timestamptz[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::int[],
            $11::int[], $12::int[], $13::int[], $14::int[], $15::int[], $16::bigint[], $17::bigint[], $18::float8[], $19::jsonb[], $20::int[])
  AS t(b, w, n, g, k, name, l, c, q, c1, c2, c3, c4, c5, bi, bo, s, h, win)`;

export type TGroupWindow = { requests: number; errors5xx: number; histogram: THistogram | null; windows: number };

/** The longest stats window a proxy reports (its --stats-interval-ms maximum). */
const MAX_WINDOW_MS = 300_000;

/**
 * What the rollout SLO guard reads: the stats windows of a node group that STARTED in
 * [fromMs, toMs), summed, with their latency histograms merged (p99 comes from the
 * merge, never from averaged percentiles).
 *
 * - Group: the group each node announced in its hello when it reported (kind "group"
 *   rows are summed per group at ingest).
 * - Each request counts once: group rows sum route rows only (a cluster row holds the
 *   same requests again); route rows also hold local replies (cluster "").
 * - Precision: the node's stats window (5 s by default), not the 10 s bucket: rows keep
 *   their window's start, so windows from before a change never count as after it.
 * - Rollups are not read: raw buckets are kept 24 h by default, and the guard looks back
 *   at most 2 h (a 1 h baseline before the change, 1 h after).
 */
export async function readGroupWindow(db: Db, group: string, fromMs: number, toMs: number, version?: number): Promise<TGroupWindow> {
  if (toMs <= fromMs) return { requests: 0, errors5xx: 0, histogram: null, windows: 0 };
  const rows = await db.prisma.statsBucket.findMany({
    where: {
      resolution: RAW_RESOLUTION_S,
      kind: "group",
      group,
      // "": the whole group; "@v<n>": only windows of nodes that served version n (stepped rollouts).
      nodeId: version === undefined ? "" : `@v${version}`,
      // A window lands in the bucket of its last millisecond: at or after the bucket of its
      // start, and at most the longest window later. These bounds only let the index narrow.
      bucketStart: { gte: bucketOf(fromMs, RAW_RESOLUTION_S), lt: new Date(toMs + MAX_WINDOW_MS + RAW_RESOLUTION_S * 1000) },
      windowStart: { gte: new Date(fromMs), lt: new Date(toMs) },
    },
    select: { requests: true, c5xx: true, latencySum: true, latency: true, windows: true },
  });
  let requests = 0;
  let errors5xx = 0;
  let sum = 0;
  let windows = 0;
  const counts = emptyCounts();
  for (const r of rows) {
    requests += r.requests;
    errors5xx += r.c5xx;
    sum += r.latencySum;
    windows += r.windows;
    addSparse(counts, r.latency);
  }
  const count = counts.reduce((a, b) => a + b, 0);
  return { requests, errors5xx, histogram: count ? { bounds: [...LATENCY_BOUNDS_MS], counts, sum, count } : null, windows };
}

/** Stats rows of one resolution in [from, to), optionally one kind / name. */
export async function queryStatsRows(
  db: Db,
  q: { resolution: number; from: Date; to: Date; kind?: TStatsKind; name?: string },
): Promise<TStatsRow[]> {
  return db.prisma.statsBucket.findMany({
    where: {
      resolution: q.resolution,
      bucketStart: { gte: q.from, lt: q.to },
      ...(q.kind ? { kind: q.kind } : { kind: { in: ["route", "cluster"] } }),
      ...(q.name !== undefined ? { name: q.name } : {}),
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
  const last = await db.prisma.statsBucket.findFirst({ where: { resolution: ROLLUP_RESOLUTION_S, kind: "marker" }, orderBy: { bucketStart: "desc" }, select: { bucketStart: true } });
  return last ? new Date(last.bucketStart.getTime() + ROLLUP_RESOLUTION_S * 1000) : null;
}

/**
 * Rolls raw buckets of complete minutes before `until` into one-minute rows, one minute
 * per transaction, starting at the watermark, until caught up or `budgetMs` is spent
 * (the next run goes on from there: every call makes progress, none holds a long
 * transaction). The merge runs inside PostgreSQL (sums, and histograms added bucket by
 * bucket from their sparse JSON), so the console never holds a minute's rows.
 *
 * Route and cluster rows roll up summed over nodes (rows stored per node before issue
 * #21 fold into them); node rows keep their node. Group rows are not rolled up (only
 * the guard reads them, from raw buckets). Returns the new watermark and the rows written.
 */
export async function rollupStats(db: Db, until: Date, opts: { budgetMs?: number } = {}): Promise<{ watermark: Date | null; rows: number; minutes: number }> {
  const deadline = Date.now() + (opts.budgetMs ?? 10_000);
  let from = await rollupWatermark(db);
  if (!from) {
    const first = await db.prisma.statsBucket.findFirst({ where: { resolution: RAW_RESOLUTION_S }, orderBy: { bucketStart: "asc" }, select: { bucketStart: true } });
    if (!first) return { watermark: null, rows: 0, minutes: 0 };
    from = bucketOf(first.bucketStart.getTime(), ROLLUP_RESOLUTION_S);
  }
  const to = bucketOf(until.getTime(), ROLLUP_RESOLUTION_S);
  let rows = 0;
  let minutes = 0;
  while (from < to && (minutes === 0 || Date.now() < deadline)) {
    // Skip empty stretches (a console that was off for a day) in one step.
    const next: pg.QueryResult<{ b: Date | null }> = await db.pool.query<{ b: Date | null }>(
      `SELECT min("bucketStart") AS b FROM "StatsBucket" WHERE "resolution" = $1 AND "bucketStart" >= $2::timestamptz AT TIME ZONE 'UTC' AND "bucketStart" < $3::timestamptz AT TIME ZONE 'UTC'`,
      [RAW_RESOLUTION_S, from, to],
    );
    const firstRaw: Date | null = next.rows[0]?.b ?? null;
    const minute: Date = firstRaw ? bucketOf(utcOf(firstRaw), ROLLUP_RESOLUTION_S) : new Date(to.getTime() - ROLLUP_RESOLUTION_S * 1000);
    const done = await rollupMinute(db, minute);
    // Another replica holds the rollup (or rolled this minute meanwhile): it goes on from here.
    if (done === null) break;
    rows += done;
    minutes++;
    from = new Date(minute.getTime() + ROLLUP_RESOLUTION_S * 1000);
  }
  return { watermark: from, rows, minutes };
}

/** A timestamp(3) column read through node-postgres comes back as local wall time; this is its UTC epoch ms. */
function utcOf(d: Date): number {
  return d.getTime() - d.getTimezoneOffset() * 60_000;
}

/**
 * One minute rolled up and the watermark moved past it, in one short transaction; null
 * when another console replica is rolling up now or already rolled this minute (each
 * replica runs the job: the advisory lock and the watermark check keep minutes single).
 */
async function rollupMinute(db: Db, minute: Date): Promise<number | null> {
  const client = await db.pool.connect();
  try {
    await client.query("BEGIN");
    // A minute is bounded (routes x 6 buckets, or nodes x routes x 6 for rows stored per node before #21); so is its time.
    await client.query("SET LOCAL statement_timeout = '60s'");
    const locked = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_xact_lock(7301, 21) AS ok");
    const marker = await client.query<{ b: Date }>(`SELECT "bucketStart" AS b FROM "StatsBucket" WHERE "resolution" = $1 AND "kind" = 'marker' ORDER BY "bucketStart" DESC LIMIT 1`, [ROLLUP_RESOLUTION_S]);
    const rolledTo = marker.rows[0] ? utcOf(marker.rows[0].b) + ROLLUP_RESOLUTION_S * 1000 : -Infinity;
    if (!locked.rows[0]?.ok || rolledTo > minute.getTime()) {
      await client.query("ROLLBACK");
      return null;
    }
    const end = new Date(minute.getTime() + ROLLUP_RESOLUTION_S * 1000);
    const inserted = await client.query(ROLLUP_MINUTE_SQL, [RAW_RESOLUTION_S, ROLLUP_RESOLUTION_S, minute, end]);
    await client.query(`DELETE FROM "StatsBucket" WHERE "resolution" = $1 AND "kind" = 'marker'`, [ROLLUP_RESOLUTION_S]);
    await client.query(
      `INSERT INTO "StatsBucket" ("resolution", "bucketStart", "nodeId", "kind", "name", "requests", "latency", "windows") VALUES ($1, $2::timestamptz AT TIME ZONE 'UTC', '', 'marker', '', 0, '[]', 0)`,
      [ROLLUP_RESOLUTION_S, minute],
    );
    await client.query("COMMIT");
    return inserted.rowCount ?? 0;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

const ROLLUP_MINUTE_SQL = `
WITH src AS (
  SELECT CASE WHEN "kind" = 'node' THEN "nodeId" ELSE '' END AS n, "kind" AS k, "name", "listener" AS l, "cluster" AS c,
         "requests", "c1xx", "c2xx", "c3xx", "c4xx", "c5xx", "bytesIn", "bytesOut", "latencySum", "latency", "windows"
  FROM "StatsBucket"
  WHERE "resolution" = $1 AND "kind" IN ('route', 'cluster', 'node')
    AND "bucketStart" >= $3::timestamptz AT TIME ZONE 'UTC' AND "bucketStart" < $4::timestamptz AT TIME ZONE 'UTC'
), totals AS (
  SELECT n, k, "name", l, c, sum("requests") AS q, sum("c1xx") AS c1, sum("c2xx") AS c2, sum("c3xx") AS c3, sum("c4xx") AS c4, sum("c5xx") AS c5,
         sum("bytesIn") AS bi, sum("bytesOut") AS bo, sum("latencySum") AS s, sum("windows") AS w
  FROM src GROUP BY n, k, "name", l, c
), buckets AS (
  SELECT n, k, "name", l, c, (p->>0)::int AS i, sum((p->>1)::bigint) AS cnt
  FROM src, jsonb_array_elements(src."latency") AS p GROUP BY n, k, "name", l, c, i
), hist AS (
  SELECT n, k, "name", l, c, jsonb_agg(jsonb_build_array(i, cnt) ORDER BY i) AS h FROM buckets GROUP BY n, k, "name", l, c
)
INSERT INTO "StatsBucket" ("resolution", "bucketStart", "nodeId", "kind", "name", "listener", "cluster", "requests",
  "c1xx", "c2xx", "c3xx", "c4xx", "c5xx", "bytesIn", "bytesOut", "latencySum", "latency", "windows")
SELECT $2::int, $3::timestamptz AT TIME ZONE 'UTC', t.n, t.k, t."name", t.l, t.c, LEAST(t.q, ${INT_MAX})::int,
  LEAST(t.c1, ${INT_MAX})::int, LEAST(t.c2, ${INT_MAX})::int, LEAST(t.c3, ${INT_MAX})::int, LEAST(t.c4, ${INT_MAX})::int, LEAST(t.c5, ${INT_MAX})::int,
  t.bi, t.bo, t.s, COALESCE(h.h, '[]'::jsonb), LEAST(t.w, ${INT_MAX})::int
FROM totals t LEFT JOIN hist h USING (n, k, "name", l, c)`;

export type TRetention = { rawHours: number; rollupDays: number; spanHours: number };

/** Rows one retention statement deletes at most: each is a short statement, never a long transaction. */
const PRUNE_BATCH = 5_000;

/**
 * Deletes what is past retention, in batches of PRUNE_BATCH rows until done or
 * `budgetMs` is spent (the next run goes on); returns how many rows went, per table.
 * Raw buckets go only once rolled up (never past the rollup watermark), so retention
 * cannot lose a minute the rollup has not read yet.
 */
export async function pruneTelemetry(
  db: Db,
  retention: TRetention,
  now = new Date(),
  opts: { budgetMs?: number } = {},
): Promise<{ raw: number; rollup: number; spans: number; health: number }> {
  const deadline = Date.now() + (opts.budgetMs ?? 10_000);
  const h = 3_600_000;
  const watermark = (await rollupWatermark(db))?.getTime() ?? 0;
  const rawCutoff = new Date(Math.min(now.getTime() - retention.rawHours * h, watermark));
  const rollupCutoff = new Date(now.getTime() - retention.rollupDays * 24 * h);
  const batches: [keyof Awaited<ReturnType<typeof pruneTelemetry>>, string, unknown[]][] = [
    ["raw", `SELECT "id" FROM "StatsBucket" WHERE "resolution" = $1 AND "bucketStart" < $2::timestamptz AT TIME ZONE 'UTC'`, [RAW_RESOLUTION_S, rawCutoff]],
    ["rollup", `SELECT "id" FROM "StatsBucket" WHERE "resolution" = $1 AND "kind" <> 'marker' AND "bucketStart" < $2::timestamptz AT TIME ZONE 'UTC'`, [ROLLUP_RESOLUTION_S, rollupCutoff]],
  ];
  const out = { raw: 0, rollup: 0, spans: 0, health: 0 };
  for (const [key, select, params] of batches) {
    while (true) {
      const res = await db.pool.query(`DELETE FROM "StatsBucket" WHERE "id" IN (${select} LIMIT ${PRUNE_BATCH})`, params);
      out[key] += res.rowCount ?? 0;
      if ((res.rowCount ?? 0) < PRUNE_BATCH || Date.now() >= deadline) break;
    }
  }
  const [spans, health] = await Promise.all([
    db.prisma.span.deleteMany({ where: { startTime: { lt: new Date(now.getTime() - retention.spanHours * h) } } }),
    db.prisma.healthEvent.deleteMany({ where: { at: { lt: rollupCutoff } } }),
  ]);
  out.spans = spans.count;
  out.health = health.count;
  return out;
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
