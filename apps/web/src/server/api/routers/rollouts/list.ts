import { listRollouts } from "../../../services/rollouts.ts";
import { protectedProcedure } from "../../trpc.ts";

export const listRolloutsProcedure = protectedProcedure.query(({ ctx }) => listRollouts(ctx.db));
