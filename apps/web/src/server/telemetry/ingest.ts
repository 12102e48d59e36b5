import { statsSamples, type THealthMessage, type TSpansMessage, type TStatsMessage } from "@switchyard/config-model";
import { insertHealthEvents, insertSpans, insertStatsRows, type Db } from "@switchyard/db";
import { publishLive } from "./bus.ts";
import { consoleMetrics } from "./console-metrics.ts";
import { StatsAggregator } from "./stats-aggregator.ts";

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

export function createTelemetryIngest(db: Db, opts: { flushMs?: number; maxKeys?: number; log?: (event: string, fields?: Record<string, unknown>) => void } = {}): TTelemetryIngest {
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
      consoleMetrics.telemetryFrames({ type: "stats" });
      if (msg.dropped) consoleMetrics.nodeDropped({ kind: "stats_window" }, msg.dropped);
      if (msg.droppedSpans) consoleMetrics.nodeDropped({ kind: "span" }, msg.droppedSpans);
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
    flush: () => aggregator.flush(),
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
