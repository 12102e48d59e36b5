import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";

/**
 * The console's own Prometheus metrics (GET /metrics), on prom-client like the proxy's:
 * its default process and event-loop metrics (process_*, nodejs_*: CPU, memory, open
 * fds, event-loop lag, GC), switchyard_build_info, and the console's own series, prefixed
 * `switchyard_console_`.
 */
const registry = new Registry();
collectDefaultMetrics({ register: registry });

const CONSOLE_VERSION = "0.1.0";
new Gauge({ name: "switchyard_build_info", help: "1, labelled with the software version and the Node.js it runs on", labelNames: ["component", "version", "node_version"], registers: [registry] }).set(
  { component: "console", version: CONSOLE_VERSION, node_version: process.version },
  1,
);

type TLabels = Record<string, string>;

export function defineCounter(name: string, help: string, labelNames: string[] = []): (labels?: TLabels, n?: number) => void {
  const counter = new Counter({ name, help, labelNames, registers: [registry] });
  return (labels = {}, n = 1) => counter.inc(labels, n);
}

export function defineGauge(name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      try {
        this.set(read());
      } catch {
        // A source that cannot answer now (shutting down) leaves the last value.
      }
    },
  });
}

/** Prometheus text of every console metric. */
export function renderMetrics(): Promise<string> {
  return registry.metrics();
}


export const consoleMetrics = {
  telemetryFrames: defineCounter("switchyard_console_telemetry_frames_total", "Telemetry frames received from proxy nodes, by type", ["type"]),
  telemetryRows: defineCounter("switchyard_console_telemetry_rows_total", "Telemetry rows stored, by table", ["table"]),
  statsEntries: defineCounter(
    "switchyard_console_stats_entries_total",
    "Stats entries (one route or cluster of one node window) by result: stored (durable), invalid (frame refused), overloaded (refused while the store is behind), not_stored (Prometheus mode: Prometheus scrapes them)",
    ["result"],
  ),
  telemetryErrors: defineCounter("switchyard_console_telemetry_ingest_errors_total", "Telemetry frames that could not be stored, by type", ["type"]),
  nodeDropped: defineCounter("switchyard_console_node_telemetry_dropped_total", "Telemetry items nodes reported as dropped while the console was away, by kind", ["kind"]),
  retentionRuns: defineCounter("switchyard_console_retention_runs_total", "Retention job runs, by result", ["result"]),
  retentionDeleted: defineCounter("switchyard_console_retention_deleted_rows_total", "Rows deleted by the retention job, by table", ["table"]),
  prometheusQueries: defineCounter("switchyard_console_prometheus_queries_total", "PromQL queries to SWITCHYARD_PROMETHEUS_URL, by result: ok | unreachable | refused", ["result"]),
  restRequests: defineCounter("switchyard_console_rest_requests_total", "REST API requests, by status class", ["code_class"]),
};
