/**
 * Proxy event log: one JSON object per line on stderr (config applied/refused, listener
 * up/down, control-plane events), kept apart from the access log on stdout.
 */
export type TLog = (event: string, fields?: Record<string, unknown>) => void;

export function createLogger(write: (line: string) => void = (line) => process.stderr.write(line)): TLog {
  return (event, fields) => {
    write(JSON.stringify({ time: new Date().toISOString(), event, ...fields }, errorReplacer) + "\n");
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
