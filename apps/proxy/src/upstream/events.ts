import type { TLog } from "../observability/log.ts";

/**
 * What the upstream side reports outward (event log lines, counters). main.ts wires it to
 * the metrics module, so upstream/ does not import observability/metrics.ts.
 */
export type TUpstreamEvents = {
  readonly log: TLog;
  /** An endpoint's active health check state changed (`detail`: the probe's last result). */
  healthTransition(cluster: string, to: "healthy" | "unhealthy", endpoint: string, detail: string): void;
  /** Outlier detection ejected an endpoint (`ejected` true) or let it back (false). */
  outlierEjected(cluster: string, endpoint: string, ejected: boolean): void;
  /** An endpoint's health or ejection changed (the console's per-cluster view follows it). */
  endpointStateChanged?(cluster: string): void;
};

/** For unit use and tests: logs nothing, counts nothing. */
export const NO_UPSTREAM_EVENTS: TUpstreamEvents = {
  log: () => undefined,
  healthTransition: () => undefined,
  outlierEjected: () => undefined,
};
