import { promote } from "../../../services/rollouts.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZRolloutIdInput } from "./rollouts.types.ts";

export const promoteRolloutProcedure = editorProcedure.input(ZRolloutIdInput).mutation(({ ctx, input }) => promote(ctx.db, ctx.who, input.id));
