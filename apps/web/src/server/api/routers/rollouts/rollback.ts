import { rollBack } from "../../../services/rollouts.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZRollbackRolloutInput } from "./rollouts.types.ts";

export const rollbackRolloutProcedure = editorProcedure.input(ZRollbackRolloutInput).mutation(({ ctx, input }) => rollBack(ctx.db, ctx.who, input));
