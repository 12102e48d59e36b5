/**
 * Levels of the proxy's and the console's event logs (one JSON object per line). An event
 * is named by what happened; its level follows from the name, so every line carries one
 * and `--log-level` / SWITCHYARD_LOG_LEVEL can filter without touching each call site.
 */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type TLogLevel = (typeof LOG_LEVELS)[number];

const ERROR = /(_failed|_error|fatal|_diverged|_internal_error|stop_timeout)$/;
const WARN = /(rejected|refused|unauthorized|_timeout|_gone|_exited|_dropped|no_secret_key|unreadable|_nacked|_nack|_bad_frame|_invalid_hello|db_unavailable|drift)/;
const DEBUG = /^(control_plane_(connecting|snapshot_received|snapshot_superseded|reconnect_scheduled|snapshot_reacked|endpoints_applied)|discovery_update|xds_snapshot_sent|xds_ack|rest_request)$/;

export function levelOfEvent(event: string): TLogLevel {
  if (ERROR.test(event)) return "error";
  if (WARN.test(event)) return "warn";
  if (DEBUG.test(event)) return "debug";
  return "info";
}

/** Whether an event of `level` is written when the threshold is `min`. */
export function levelEnabled(level: TLogLevel, min: TLogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(min);
}
