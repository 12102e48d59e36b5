import { z } from "zod";
import { ZGuardThresholds } from "../../../rollout/guard.ts";

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
  })
  .refine((b) => b.guard === undefined || b.group !== undefined, { path: ["guard"], message: "a guard needs a canary group" });
export const ZRollbackInput = z.object({ version: z.number().int().min(1) });
