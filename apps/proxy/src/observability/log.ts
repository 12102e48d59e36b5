import { levelEnabled, levelOfEvent, type TLogLevel } from "@switchyard/config-model";

/**
 * Proxy event log: one JSON object per line on stderr (config applied/refused, listener
 * up/down, control-plane events), kept apart from the access log on stdout. Every line
 * has `time`, `level` (from the event's name: config-model's levelOfEvent) and `event`;
 * lines below `--log-level` (default info) are not written.
 */
export type TLog = (event: string, fields?: Record<string, unknown>) => void;

export function createLogger(write: (line: string) => void = (line) => process.stderr.write(line), minLevel: TLogLevel = "info"): TLog {
  return (event, fields) => {
    const level = levelOfEvent(event);
    if (!levelEnabled(level, minLevel)) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, event, ...fields }, errorReplacer) + "\n");
  };
}

/** Errors serialise as their message and code instead of "{}". */
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return code === undefined ? { message: value.message } : { message: value.message, code };
  }
  return value;
}
