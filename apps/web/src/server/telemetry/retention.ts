import { forgetNodes, pruneTelemetry, rollupStats, type Db, type TRetention } from "@switchyard/db";
import { consoleMetrics } from "./console-metrics.ts";

export type TRetentionOptions = TRetention & {
  /** Nodes neither connected nor seen for this long are forgotten (default 24). */
  nodeForgetHours: number;
  /** How often the job runs; default 60 000 ms. */
  intervalMs: number;
  log: (event: string, fields?: Record<string, unknown>) => void;
};

/**
 * Rolls complete minutes of 10 s buckets into 1 min rows and deletes data past
 * retention (10 s buckets: rawHours, default 24; rollups: rollupDays, default 7; spans:
 * spanHours, default 24). Minutes are rolled up only once they are LATE_MS old, so
 * windows a node queued while the console was away still land before their minute is
 * rolled. Nodes gone for nodeForgetHours are forgotten (their id may never come back).
 * Runs at start, then every intervalMs; runs never overlap.
 */
const LATE_MS = 120_000;

export function startRetentionJob(db: Db, opts: TRetentionOptions): { runNow(): Promise<void>; stop(): void } {
  let running: Promise<void> | null = null;
  const run = (): Promise<void> => {
    running ??= (async () => {
      try {
        const rolled = await rollupStats(db, new Date(Date.now() - LATE_MS));
        const deleted = { ...(await pruneTelemetry(db, opts)), nodes: await forgetNodes(db, new Date(Date.now() - opts.nodeForgetHours * 3_600_000)) };
        for (const [table, n] of Object.entries(deleted)) if (n) consoleMetrics.retentionDeleted({ table }, n);
        consoleMetrics.retentionRuns({ result: "ok" });
        if (rolled.rows || Object.values(deleted).some(Boolean)) opts.log("telemetry_retention", { rolledUpRows: rolled.rows, deleted });
      } catch (err) {
        consoleMetrics.retentionRuns({ result: "error" });
        opts.log("telemetry_retention_failed", { error: err instanceof Error ? err.message : String(err) });
      } finally {
        running = null;
      }
    })();
    return running;
  };
  void run();
  const timer = setInterval(() => void run(), opts.intervalMs);
  timer.unref();
  return { runNow: run, stop: () => clearInterval(timer) };
}
