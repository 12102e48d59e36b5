import { forgetNodes, pruneTelemetry, rollupStats, type Db, type TRetention } from "@switchyard/db";
import { consoleMetrics } from "./console-metrics.ts";

export type TRetentionOptions = TRetention & {
  /** Nodes neither connected nor seen for this long are forgotten (default 24). */
  nodeForgetHours: number;
  /** How often the job runs; default 60 000 ms. */
  intervalMs: number;
  /** Longest a run spends on the rollup, and again on deletes, before it leaves the rest to the next run; default 10 000 ms. */
  budgetMs?: number;
  log: (event: string, fields?: Record<string, unknown>) => void;
};

/**
 * Rolls complete minutes of 10 s buckets into 1 min rows and deletes data past
 * retention (10 s buckets: rawHours, default 24; rollups: rollupDays, default 7; spans:
 * spanHours, default 24). Minutes are rolled up only once they are LATE_MS old, so
 * windows a node queued while the console was away still land before their minute is
 * rolled. Nodes gone for nodeForgetHours are forgotten (their id may never come back).
 * Runs at start, then every intervalMs; runs never overlap.
 *
 * Work is bounded per run (issue #21): one minute per short transaction, deletes in
 * batches of a few thousand rows, each stopping after `budgetMs`; a backlog (a console
 * that was down, rows left by an older version) is worked off over several runs while
 * the console keeps serving, and every run makes progress.
 */
const LATE_MS = 120_000;

export function startRetentionJob(db: Db, opts: TRetentionOptions): { runNow(): Promise<void>; stop(): void } {
  let running: Promise<void> | null = null;
  const run = (): Promise<void> => {
    running ??= (async () => {
      try {
        const budget = { budgetMs: opts.budgetMs ?? 10_000 };
        const rolled = await rollupStats(db, new Date(Date.now() - LATE_MS), budget);
        const deleted = { ...(await pruneTelemetry(db, opts, new Date(), budget)), nodes: await forgetNodes(db, new Date(Date.now() - opts.nodeForgetHours * 3_600_000)) };
        for (const [table, n] of Object.entries(deleted)) if (n) consoleMetrics.retentionDeleted({ table }, n);
        consoleMetrics.retentionRuns({ result: "ok" });
        if (rolled.rows || Object.values(deleted).some(Boolean)) opts.log("telemetry_retention", { rolledUpRows: rolled.rows, rolledUpMinutes: rolled.minutes, watermark: rolled.watermark?.toISOString() ?? null, deleted });
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
