import { statsSamples, type THealthMessage, type TSpansMessage, type TStatsMessage } from "@switchyard/config-model";
import { insertHealthEvents, insertSpans, insertStatsRows, type Db } from "@switchyard/db";
import { publishLive } from "./bus.ts";
import { consoleMetrics } from "./console-metrics.ts";
import { PACE_MAX_MS, StatsAggregator } from "./stats-aggregator.ts";

/**
 * Stores what nodes report over /api/xds (the hub validated each frame against the
 * config-model schema already) and tells live dashboards.
 *
 * Stats windows are decoded (either wire form), checked (a histogram in another layout
 * cannot be merged, so such a frame is refused with a clear error rather than stored
 * wrong) and merged into the pre-aggregation at once; the aggregator writes every
 * FLUSH_MS in one statement (stats-aggregator.ts). Health events and spans are stored
 * per frame (they are rare and already batched by the node).
 */
export type TStatsResult = { ok: true } | { ok: false; reason: "invalid"; error: string } | { ok: false; reason: "overloaded" };

export type TTelemetryIngest = {
  /** `version`: what the node serves (applied) now; its windows are also summed per version for the guard. */
  stats(node: { nodeId: string; group: string; version?: number | null }, msg: TStatsMessage): TStatsResult;
  /** The stats interval nodes are asked to use now (0 = their own): longer while the store falls behind. */
  statsPace(): number;
  health(nodeId: string, msg: THealthMessage): Promise<void>;
  spans(nodeId: string, msg: TSpansMessage): Promise<void>;
  /** Stores the pending stats now (tests; shutdown). */
  flush(): Promise<void>;
  /** Stops the flush timer after a last flush. */
  close(): Promise<void>;
};

/**
 * How often pending stats are stored; default 2 000 ms. It adds to what dashboards and the
 * SLO guard wait for (a node window, 5 s by default, then at most this); each flush writes a
 * row per key it saw, so a shorter one stores more rows per 10 s bucket (at most 5 per key).
 */
const FLUSH_MS = 2_000;

export type TTelemetryIngestOptions = {
  flushMs?: number;
  maxKeys?: number;
  /**
   * "prometheus" (SWITCHYARD_PROMETHEUS_URL set): stats windows are not stored. Prometheus
   * scrapes the same figures from each node's /stats/prometheus and the dashboards read
   * them there; a window still shows the node is alive (the hub touches lastSeen) and
   * ticks live dashboards, which then refetch from Prometheus. Default "postgres".
   */
  statsStore?: "postgres" | "prometheus";
  log?: (event: string, fields?: Record<string, unknown>) => void;
};

export function createTelemetryIngest(db: Db, opts: TTelemetryIngestOptions = {}): TTelemetryIngest {
  const stats = opts.statsStore === "prometheus" ? statsNotStored() : storedStats(db, opts);
  return {
    ...stats,
    async health(nodeId, msg) {
      consoleMetrics.telemetryFrames({ type: "health" });
      const n = await insertHealthEvents(db, nodeId, msg);
      consoleMetrics.telemetryRows({ table: "HealthEvent" }, n);
      if (n) publishLive({ kind: "health", at: Date.now(), nodeId });
    },
    async spans(nodeId, msg) {
      consoleMetrics.telemetryFrames({ type: "spans" });
      const n = await insertSpans(db, nodeId, msg.spans);
      consoleMetrics.telemetryRows({ table: "Span" }, n);
      if (n) publishLive({ kind: "spans", at: Date.now(), nodeId });
    },
  };
}

type TStatsPart = Pick<TTelemetryIngest, "stats" | "statsPace" | "flush" | "close">;

/** Counts a frame and what the node says it dropped (both modes). */
function countFrame(msg: TStatsMessage): void {
  consoleMetrics.telemetryFrames({ type: "stats" });
  if (msg.dropped) consoleMetrics.nodeDropped({ kind: "stats_window" }, msg.dropped);
  if (msg.droppedSpans) consoleMetrics.nodeDropped({ kind: "span" }, msg.droppedSpans);
}

/** PostgreSQL mode: windows merged into the pre-aggregation, stored every flushMs. */
function storedStats(db: Db, opts: TTelemetryIngestOptions): TStatsPart {
  const flushMs = opts.flushMs ?? FLUSH_MS;
  const aggregator = new StatsAggregator({
    write: (rows) => insertStatsRows(db, rows),
    onStored: (entries, rows) => {
      consoleMetrics.statsEntries({ result: "stored" }, entries);
      consoleMetrics.telemetryRows({ table: "StatsBucket" }, rows);
      publishLive({ kind: "stats", at: Date.now() });
    },
    ...(opts.maxKeys ? { maxKeys: opts.maxKeys } : {}),
  });
  const flush = () =>
    aggregator.flush().catch((err: unknown) => {
      consoleMetrics.telemetryErrors({ type: "stats" });
      opts.log?.("telemetry_stats_flush_failed", { error: err instanceof Error ? err.message : String(err), pendingKeys: aggregator.pendingKeys() });
    });
  const timer = setInterval(() => void flush(), flushMs);
  timer.unref();
  return {
    stats(node, msg) {
      countFrame(msg);
      const decoded = statsSamples(msg);
      if ("error" in decoded) {
        consoleMetrics.telemetryErrors({ type: "stats" });
        consoleMetrics.statsEntries({ result: "invalid" }, msg.routes.length + msg.clusters.length + msg.entries.length);
        return { ok: false, reason: "invalid", error: decoded.error };
      }
      if (aggregator.add(node, msg, decoded.samples) === "overloaded") {
        consoleMetrics.statsEntries({ result: "overloaded" }, decoded.samples.length);
        return { ok: false, reason: "overloaded" };
      }
      return { ok: true };
    },
    statsPace: () => aggregator.pace(flushMs),
    flush: () => aggregator.flush(),
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

/**
 * Prometheus mode: nothing is stored per node. Prometheus scrapes the same figures from
 * each node's /stats/prometheus; a window still shows the node alive (the hub touches
 * lastSeen; heartbeats do too) and ticks live dashboards, which refetch from Prometheus
 * (as fresh as its last scrape; the subscription also ticks every 5 s on its own).
 * Nodes are asked for the longest window (PACE_MAX_MS): a frame is worth nothing more
 * here, and handling them was most of the console's cost at 1,000 nodes (bench/RESULTS.md).
 */
function statsNotStored(): TStatsPart {
  return {
    stats(_node, msg) {
      countFrame(msg);
      consoleMetrics.statsEntries({ result: "not_stored" }, msg.routes.length + msg.clusters.length + msg.entries.length);
      publishLive({ kind: "stats", at: Date.now() });
      return { ok: true };
    },
    statsPace: () => PACE_MAX_MS,
    flush: async () => undefined,
    close: async () => undefined,
  };
}
