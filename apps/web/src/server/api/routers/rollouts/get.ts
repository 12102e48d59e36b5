import { getRolloutDetail } from "../../../services/rollouts.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZRolloutIdInput } from "./rollouts.types.ts";

export const getRolloutProcedure = protectedProcedure.input(ZRolloutIdInput).query(({ ctx, input }) => getRolloutDetail(ctx.db, input.id));
