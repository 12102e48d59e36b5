import { RolloutError } from "@switchyard/db";
import { AppError } from "../../../services/app-error.ts";
import { rollBackRollout } from "../../../rollout/service.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZRollbackRolloutInput } from "./rollouts.types.ts";

export const rollbackRolloutProcedure = editorProcedure.input(ZRollbackRolloutInput).mutation(async ({ ctx, input }) => {
  try {
    const result = await rollBackRollout(ctx.db, input.id, {
      actor: ctx.user.email,
      ip: ctx.ip,
      kind: "manual_rollback",
      reason: input.reason || `rolled back by ${ctx.user.email}`,
    });
    if (!result.changed) throw new AppError("CONFLICT", `rollout ${input.id} is ${result.rollout?.state}, only a canary can be rolled back`);
    return result.rollout;
  } catch (err) {
    if (err instanceof RolloutError) throw new AppError(err.status === 404 ? "NOT_FOUND" : "CONFLICT", err.message);
    throw err;
  }
});
