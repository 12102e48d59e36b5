import { z } from "zod";
import { ZGuardThresholds, ZRolloutSteps } from "../../../rollout/guard.ts";

export const ZListVersionsInput = z.object({ limit: z.number().int("must be an integer").min(1, "must be >= 1").max(1000, "must be <= 1000").default(100) }).default({ limit: 100 });
/** POST /api/v1/versions and the publish form: `group` publishes to that node group only (a canary), `guard` adds the SLO guard. */
export const ZPublishInput = z
  .object({
    message: z
      .string({ error: (i) => (i.input === undefined ? "is required" : "must be a string") })
      .trim()
      .min(1, "a message is required: say what this version changes")
      .max(1000, "must be at most 1000 characters"),
    /** Publish to this node group only (a canary); omitted = every node. */
    group: z.string().trim().min(1, "must not be empty").max(100).regex(/^[^*]+$/, "must be a group name").optional(),
    /** SLO guard thresholds of the canary; omitted = no guard (nacks still stop it). */
    guard: ZGuardThresholds.optional(),
    /** A stepped rollout: percentages of the group's nodes, increasing, the last 100 (e.g. [10, 50, 100]); omitted = the whole group at once. */
    steps: ZRolloutSteps.optional(),
    /** How long each step must hold before it is promoted by itself (with a guard: with the guard satisfied) [300 000 ms]. */
    bakeMs: z.number().int("must be an integer").min(1_000, "must be at least 1000 ms").max(86_400_000, "must be at most 24 hours").optional(),
  })
  .refine((b) => b.guard === undefined || b.group !== undefined, { path: ["guard"], message: "a guard needs a canary group" })
  .refine((b) => b.steps === undefined || b.group !== undefined, { path: ["steps"], message: "steps need a group to roll out across" })
  .refine((b) => b.bakeMs === undefined || b.steps !== undefined, { path: ["bakeMs"], message: "a bake time goes with steps" });
export const ZRollbackInput = z.object({ version: z.number().int().min(1) });
