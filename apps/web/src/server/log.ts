import { levelEnabled, levelOfEvent, type TLogLevel } from "@switchyard/config-model";
import type { TLog } from "./api/trpc.ts";

let minLevel: TLogLevel = "info";

/** SWITCHYARD_LOG_LEVEL (env.ts), set once at start by the composition root. */
export function setLogLevel(level: TLogLevel): void {
  minLevel = level;
}

/** One JSON object per line on stdout, like the proxy's event log: time, level (from the event's name), event, fields. */
export const log: TLog = (event, fields = {}) => {
  const level = levelOfEvent(event);
  if (!levelEnabled(level, minLevel)) return;
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, event, ...fields })}\n`);
};
