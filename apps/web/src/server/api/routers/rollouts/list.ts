import { rolloutList } from "../../../rollout/service.ts";
import { protectedProcedure } from "../../trpc.ts";

export const listRolloutsProcedure = protectedProcedure.query(({ ctx }) => rolloutList(ctx.db, 50));
