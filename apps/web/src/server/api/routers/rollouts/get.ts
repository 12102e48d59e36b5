import { AppError } from "../../../services/app-error.ts";
import { rolloutDetail } from "../../../rollout/service.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZRolloutIdInput } from "./rollouts.types.ts";

export const getRolloutProcedure = protectedProcedure.input(ZRolloutIdInput).query(async ({ ctx, input }) => {
  const detail = await rolloutDetail(ctx.db, input.id);
  if (!detail) throw new AppError("NOT_FOUND", `rollout ${input.id} does not exist`);
  return detail;
});
