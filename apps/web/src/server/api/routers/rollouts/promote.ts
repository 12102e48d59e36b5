import { promote } from "../../../services/rollouts.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZPromoteRolloutInput } from "./rollouts.types.ts";

export const promoteRolloutProcedure = editorProcedure.input(ZPromoteRolloutInput).mutation(({ ctx, input }) => promote(ctx.db, ctx.who, input));
