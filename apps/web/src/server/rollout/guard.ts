import { z } from "zod";
import { percentileMs, type THistogram } from "@switchyard/config-model";
import {
  advanceRolloutStep,
  listActiveRollouts,
  readGroupWindow,
  rollBackRollout,
  setRolloutBaseline,
  type Db,
  type TRollout,
} from "@switchyard/db";

/**
 * The SLO guard of staged rollouts. While a version is in canary, the guard compares
 * the canary group's 5xx ratio and p99 latency over the last window with the group's
 * own figures from the window before the change (the baseline), and rolls the group
 * back by itself when a threshold is crossed. Nacks stop a rollout too (service.ts).
 *
 * Every console replica runs a guard; rolling back is conditional on the rollout still
 * being a canary, so concurrent trips end in exactly one rollback.
 *
 * Stepped rollouts (#19 item 7): the same loop promotes a step by itself once it has baked
 * (bakeDecision): its bake time passed since the step started, and the guard's verdict on
 * the windows since then is "ok" (enough requests, no threshold crossed). A trip at any
 * step rolls the whole rollout back. Promotion is conditional on the step too, so
 * replicas promoting together move it once.
 */

/** Guard thresholds carried by a rollout (defaults in brackets). */
export const ZGuardThresholds = z.object({
  /** Sliding window the figures are taken over, and the baseline's length [60 000 ms]. */
  windowMs: z.number().int().min(1_000, "must be at least 1000 ms").max(3_600_000, "must be at most 1 hour").default(60_000),
  /** Roll back when the 5xx ratio exceeds the baseline's by more than this (0..1) [0.05 = 5 points]. */
  maxErrorRatioIncrease: z.number().min(0).max(1).default(0.05),
  /** Roll back when p99 exceeds the baseline's by more than this many ms; null = not checked [null]. */
  maxP99IncreaseMs: z.number().min(0).nullable().default(null),
  /** Below this many requests in the window nothing is concluded [20]. */
  minRequests: z.number().int().min(1).default(20),
});
export type TGuardThresholds = z.infer<typeof ZGuardThresholds>;

/** Each step of a stepped rollout holds this long by default before it is promoted by itself. */
export const DEFAULT_BAKE_MS = 300_000;

/** Percentages of a group's nodes, strictly increasing, ending at 100. */
export const ZRolloutSteps = z
  .array(z.number().int("must be a whole percentage").min(1, "must be at least 1").max(100, "must be at most 100"))
  .min(1, "give at least one step")
  .max(10, "at most 10 steps")
  .superRefine((steps, ctx) => {
    steps.forEach((p, i) => {
      if (i > 0 && p <= steps[i - 1]!) ctx.addIssue({ code: "custom", path: [i], message: `must be above the step before it (${steps[i - 1]}%)` });
    });
    if (steps.at(-1) !== 100) ctx.addIssue({ code: "custom", path: [steps.length - 1], message: "the last step must be 100 (the whole group)" });
  });


/**
 * What the guard reads: a group's stats windows that started in [fromMs, toMs), summed,
 * histograms merged in config-model's shared layout. Implemented over the telemetry
 * storage of issue #7 (`readGroupWindow` in packages/db/src/telemetry.ts: raw stats
 * buckets of the group's nodes, route rows only).
 */
export type TWindowReader = {
  /** `version`: only the windows of the group's nodes that served it (a stepped rollout's step); omitted = the whole group. */
  readGroupWindow(group: string, fromMs: number, toMs: number, version?: number): Promise<{ requests: number; errors5xx: number; histogram: THistogram | null }>;
};

export type TGuardFigures = { requests: number; errors5xx: number; errorRatio: number; p99Ms: number | null };
export type TGuardVerdict = { verdict: "ok" | "insufficient" | "tripped"; reasons: string[]; current: TGuardFigures; baseline: TGuardFigures | null };

export function figuresOf(w: { requests: number; errors5xx: number; histogram: THistogram | null }): TGuardFigures {
  // Same p99 as the dashboards: nearest rank over the merged counts (config-model).
  const p99 = w.histogram ? percentileMs(w.histogram.counts, 0.99) : null;
  return { requests: w.requests, errors5xx: w.errors5xx, errorRatio: w.requests ? w.errors5xx / w.requests : 0, p99Ms: p99 === null ? null : Math.round(p99 * 1000) / 1000 };
}

/** Pure: the verdict on one window. A baseline without traffic counts as 0 errors and no latency. */
export function evaluateGuard(guard: TGuardThresholds, baseline: TGuardFigures | null, current: TGuardFigures): TGuardVerdict {
  if (current.requests < guard.minRequests) {
    return { verdict: "insufficient", reasons: [`${current.requests} requests in the window, ${guard.minRequests} needed`], current, baseline };
  }
  const reasons: string[] = [];
  const baseRatio = baseline && baseline.requests > 0 ? baseline.errorRatio : 0;
  if (current.errorRatio - baseRatio > guard.maxErrorRatioIncrease) {
    reasons.push(
      `5xx ratio ${pct(current.errorRatio)} (${current.errors5xx}/${current.requests}) exceeds the baseline ${pct(baseRatio)} by more than ${pct(guard.maxErrorRatioIncrease)}`,
    );
  }
  if (guard.maxP99IncreaseMs !== null && current.p99Ms !== null) {
    const baseP99 = baseline?.p99Ms ?? 0;
    if (current.p99Ms - baseP99 > guard.maxP99IncreaseMs) {
      reasons.push(`p99 ${fmtMs(current.p99Ms)} exceeds the baseline ${fmtMs(baseP99)} by more than ${guard.maxP99IncreaseMs} ms`);
    }
  }
  return { verdict: reasons.length ? "tripped" : "ok", reasons, current, baseline };
}

/** The guard's view of one rollout now (also shown on the rollout page). */
export async function checkRollout(reader: TWindowReader, rollout: TRollout, nowMs = Date.now()): Promise<TGuardVerdict | null> {
  const parsed = ZGuardThresholds.safeParse(rollout.guard);
  if (rollout.guard === null || !parsed.success) return null;
  const guard = parsed.data;
  const start = rollout.startedAt.getTime();
  const baseline = rollout.baseline ? (rollout.baseline as TGuardFigures) : figuresOf(await reader.readGroupWindow(rollout.group, start - guard.windowMs, start));
  // Only windows that started after the change count: earlier ones measured the old version
  // (for a step, the share of nodes before it).
  const since = Math.max(start, rollout.stepStartedAt?.getTime() ?? start);
  // A stepped rollout is judged on the nodes serving its version, not diluted by the rest of the group.
  const current = figuresOf(await reader.readGroupWindow(rollout.group, Math.max(since, nowMs - guard.windowMs), nowMs + 1, rollout.steps ? rollout.version : undefined));
  return evaluateGuard(guard, baseline, current);
}

/** Where a stepped rollout's current step stands: promote now, or why not yet. */
export type TBake = { step: number; steps: number; percent: number; bakeMs: number; remainingMs: number; promote: boolean; waiting: string | null };

/** Pure: whether the current step of a stepped rollout has baked (null for a group canary). */
export function bakeDecision(rollout: TRollout, verdict: TGuardVerdict | null, nowMs = Date.now()): TBake | null {
  if (!rollout.steps || rollout.state !== "canary") return null;
  const bakeMs = rollout.bakeMs ?? 0;
  const started = (rollout.stepStartedAt ?? rollout.startedAt).getTime();
  const remainingMs = Math.max(0, started + bakeMs - nowMs);
  const base = { step: rollout.stepIndex + 1, steps: rollout.steps.length, percent: rollout.steps[rollout.stepIndex] ?? 100, bakeMs, remainingMs };
  let waiting: string | null = null;
  if (rollout.pausedAt) waiting = `paused by ${rollout.pausedBy ?? "someone"}`;
  else if (remainingMs > 0) waiting = `baking: ${Math.ceil(remainingMs / 1000)} s left`;
  // With a guard, the step must be shown healthy, not merely quiet.
  else if (verdict && verdict.verdict !== "ok") waiting = `the SLO guard has no verdict yet: ${verdict.reasons.join("; ")}`;
  return { ...base, promote: waiting === null, waiting };
}

export type TGuardLog = (event: string, fields?: Record<string, unknown>) => void;

export class RolloutGuard {
  readonly #db: Db;
  readonly #reader: TWindowReader;
  readonly #log: TGuardLog;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(opts: { db: Db; log: TGuardLog; reader?: TWindowReader; intervalMs?: number }) {
    this.#db = opts.db;
    this.#reader = opts.reader ?? { readGroupWindow: (g, f, t, v) => readGroupWindow(opts.db, g, f, t, v) };
    this.#log = opts.log;
    // 1 s: stats frames come every 5 s, so a trip is acted on within a second of its data.
    // Stats storage and its retention are the telemetry ingest's and retention job's.
    this.#intervalMs = opts.intervalMs ?? 1_000;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.tick(), this.#intervalMs);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** One pass over the active canaries; never throws (errors are logged). */
  tick(): Promise<void> {
    this.#running ??= this.#tick().finally(() => (this.#running = null));
    return this.#running;
  }

  async #tick(): Promise<void> {
    try {
      for (const rollout of await listActiveRollouts(this.#db)) {
        if (rollout.guard === null) {
          await this.#promoteIfBaked(rollout, null);
          continue;
        }
        // The baseline is fixed once the windows from before the change are stored (the
        // ingest writes in batches every 2 s); until then checkRollout reads it live.
        const start = rollout.startedAt.getTime();
        if (rollout.baseline === null && Date.now() >= start + BASELINE_SETTLE_MS) {
          const guard = ZGuardThresholds.parse(rollout.guard);
          await setRolloutBaseline(this.#db, rollout.id, figuresOf(await this.#reader.readGroupWindow(rollout.group, start - guard.windowMs, start)));
          continue;
        }
        const verdict = await checkRollout(this.#reader, rollout);
        if (verdict?.verdict !== "tripped") {
          await this.#promoteIfBaked(rollout, verdict);
          continue;
        }
        const reason = `SLO guard: ${verdict.reasons.join("; ")}`;
        const { changed } = await rollBackRollout(this.#db, rollout.id, {
          actor: "slo-guard",
          kind: "guard_tripped",
          reason,
          details: { current: verdict.current, baseline: verdict.baseline },
        });
        if (changed) this.#log("rollout_guard_tripped", { rolloutId: rollout.id, version: rollout.version, group: rollout.group, reason });
      }
    } catch (err) {
      this.#log("rollout_guard_error", { error: err instanceof Error ? err.message : String(err) });
    }
  }

  async #promoteIfBaked(rollout: TRollout, verdict: TGuardVerdict | null): Promise<void> {
    const bake = bakeDecision(rollout, verdict);
    if (!bake?.promote) return;
    const held = verdict ? `held ${Math.round(bake.bakeMs / 1000)} s with the SLO guard satisfied` : `held ${Math.round(bake.bakeMs / 1000)} s (no SLO guard)`;
    const { changed } = await advanceRolloutStep(this.#db, rollout.id, { actor: "rollout-bake", expectStep: rollout.stepIndex, reason: `step ${bake.step} ${held}` });
    if (changed) this.#log("rollout_step_promoted", { rolloutId: rollout.id, version: rollout.version, group: rollout.group, fromStep: bake.step });
  }
}

/** Longer than the telemetry ingest's flush interval (2 s) plus a write. */
const BASELINE_SETTLE_MS = 3_000;

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function fmtMs(x: number): string {
  return Number.isFinite(x) ? `${x} ms` : "above the largest bucket";
}
