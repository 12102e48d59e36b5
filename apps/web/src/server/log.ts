import type { TLog } from "./api/trpc.ts";

/** One JSON object per line on stdout, like the proxy's access log. */
export const log: TLog = (event, fields = {}) => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
};
