/**
 * The console's own Prometheus metrics (GET /metrics), written by hand: a handful of
 * counters and gauges do not justify a second metrics library in the console bundle.
 * Names are prefixed `switchyard_console_`.
 */
type TLabels = Record<string, string>;

const counters = new Map<string, { help: string; values: Map<string, number> }>();
const gauges = new Map<string, { help: string; read: () => number }>();

function key(labels: TLabels): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
    .join(",");
}

export function defineCounter(name: string, help: string): (labels?: TLabels, n?: number) => void {
  const c = { help, values: new Map<string, number>() };
  counters.set(name, c);
  return (labels = {}, n = 1) => {
    const k = key(labels);
    c.values.set(k, (c.values.get(k) ?? 0) + n);
  };
}

export function defineGauge(name: string, help: string, read: () => number): void {
  gauges.set(name, { help, read });
}

export function renderMetrics(): string {
  const out: string[] = [];
  for (const [name, c] of counters) {
    out.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`);
    if (c.values.size === 0) out.push(`${name} 0`);
    for (const [k, v] of c.values) out.push(`${name}${k ? `{${k}}` : ""} ${v}`);
  }
  for (const [name, g] of gauges) {
    let v: number;
    try {
      v = g.read();
    } catch {
      continue;
    }
    out.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`, `${name} ${v}`);
  }
  return out.join("\n") + "\n";
}

export const consoleMetrics = {
  telemetryFrames: defineCounter("switchyard_console_telemetry_frames_total", "Telemetry frames received from proxy nodes, by type"),
  telemetryRows: defineCounter("switchyard_console_telemetry_rows_total", "Telemetry rows stored, by table"),
  telemetryErrors: defineCounter("switchyard_console_telemetry_ingest_errors_total", "Telemetry frames that could not be stored, by type"),
  nodeDropped: defineCounter("switchyard_console_node_telemetry_dropped_total", "Telemetry items nodes reported as dropped while the console was away, by kind"),
  retentionRuns: defineCounter("switchyard_console_retention_runs_total", "Retention job runs, by result"),
  retentionDeleted: defineCounter("switchyard_console_retention_deleted_rows_total", "Rows deleted by the retention job, by table"),
  restRequests: defineCounter("switchyard_console_rest_requests_total", "REST API requests, by status class"),
};

defineGauge("switchyard_console_process_resident_memory_bytes", "Resident memory of the console process", () => process.memoryUsage().rss);
defineGauge("switchyard_console_process_uptime_seconds", "Seconds since the console process started", () => Math.round(process.uptime()));
