import { LATENCY_BOUNDS_MS, hasStandardLayout, type THealthMessage, type TSpansMessage, type TStatsMessage } from "@switchyard/config-model";
import { insertHealthEvents, insertSpans, insertStatsWindow, type Db } from "@switchyard/db";
import { publishLive } from "./bus.ts";
import { consoleMetrics } from "./console-metrics.ts";

/**
 * Stores what nodes report over /api/xds (the hub validated each frame against the
 * config-model schema already) and tells live dashboards. A histogram in another bucket
 * layout cannot be merged, so such an entry is refused with a clear error rather than
 * stored wrong.
 */
export type TTelemetryIngest = {
  stats(nodeId: string, msg: TStatsMessage): Promise<void>;
  health(nodeId: string, msg: THealthMessage): Promise<void>;
  spans(nodeId: string, msg: TSpansMessage): Promise<void>;
};

export class TelemetryLayoutError extends Error {
  readonly code = "SWY_TELEMETRY_LAYOUT";
}

export function createTelemetryIngest(db: Db): TTelemetryIngest {
  return {
    async stats(nodeId, msg) {
      consoleMetrics.telemetryFrames({ type: "stats" });
      if (msg.dropped) consoleMetrics.nodeDropped({ kind: "stats_window" }, msg.dropped);
      if (msg.droppedSpans) consoleMetrics.nodeDropped({ kind: "span" }, msg.droppedSpans);
      const bad = msg.entries.findIndex((e) => !hasStandardLayout(e.latency));
      if (bad !== -1) {
        consoleMetrics.telemetryErrors({ type: "stats" });
        throw new TelemetryLayoutError(
          `entries[${bad}].latency: histogram must use the shared layout (${LATENCY_BOUNDS_MS.length} bounds from config-model's LATENCY_BOUNDS_MS)`,
        );
      }
      const n = await insertStatsWindow(db, nodeId, msg);
      consoleMetrics.telemetryRows({ table: "StatsBucket" }, n);
      if (n) publishLive({ kind: "stats", at: Date.now(), nodeId });
    },
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
