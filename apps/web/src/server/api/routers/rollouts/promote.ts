import { RolloutError } from "@switchyard/db";
import { AppError } from "../../../services/app-error.ts";
import { promoteRollout } from "../../../rollout/service.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZRolloutIdInput } from "./rollouts.types.ts";

export const promoteRolloutProcedure = editorProcedure.input(ZRolloutIdInput).mutation(async ({ ctx, input }) => {
  try {
    return await promoteRollout(ctx.db, input.id, { actor: ctx.user.email, ip: ctx.ip });
  } catch (err) {
    if (err instanceof RolloutError) throw new AppError(err.status === 404 ? "NOT_FOUND" : "CONFLICT", err.message);
    throw err;
  }
});
