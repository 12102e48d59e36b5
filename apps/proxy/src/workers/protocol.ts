import type { TConfig, TConfigIssue, TEndpointsMessage } from "@switchyard/config-model";
import type { MetricObjectWithValues, MetricValue } from "prom-client";
import type { TAdminClusterView } from "../admin/server.ts";
import type { TTelemetryMessage } from "../control-plane/client.ts";
import type { TApplyMeta, TApplyResult } from "../runtime/apply.ts";
import type { describeClusters } from "../upstream/discovery/status.ts";

/**
 * IPC between the primary and its workers (node:cluster, `--workers N` > 1). The primary
 * asks, a worker answers with the same `id`; `drain` and `endpoints` are one-way.
 * Payloads are structured-clone-safe plain data (configs are JSON values).
 */
export type TToWorker =
  | { type: "sy:apply"; id: number; config: TConfig; meta: TApplyMeta }
  | { type: "sy:metrics"; id: number }
  | { type: "sy:clusters"; id: number }
  | { type: "sy:endpoints"; msg: TEndpointsMessage }
  | { type: "sy:drain"; graceMs: number };

export type TClusterView = ReturnType<typeof describeClusters>;

export type TFromWorker =
  /** Sent once the worker's managers are up: it can take a config. */
  | { type: "sy:up" }
  /** Managed mode: a stats window, health events or spans for the console. */
  | { type: "sy:telemetry"; message: TTelemetryMessage }
  | { type: "sy:reply"; id: number; result: TApplyResult }
  | { type: "sy:reply"; id: number; metrics: MetricObjectWithValues<MetricValue<string>>[] }
  | { type: "sy:reply"; id: number; clusters: TClusterView; admin: TAdminClusterView[] };

export type TWorkerReply = Extract<TFromWorker, { type: "sy:reply" }>;

export function isFromWorker(m: unknown): m is TFromWorker {
  return typeof m === "object" && m !== null && typeof (m as { type?: unknown }).type === "string" && (m as { type: string }).type.startsWith("sy:");
}

export type { TConfigIssue };
