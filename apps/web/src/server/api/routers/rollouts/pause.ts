import { setPaused } from "../../../services/rollouts.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZRolloutIdInput } from "./rollouts.types.ts";

export const pauseRolloutProcedure = editorProcedure.input(ZRolloutIdInput).mutation(({ ctx, input }) => setPaused(ctx.db, ctx.who, input, true));
export const resumeRolloutProcedure = editorProcedure.input(ZRolloutIdInput).mutation(({ ctx, input }) => setPaused(ctx.db, ctx.who, input, false));
