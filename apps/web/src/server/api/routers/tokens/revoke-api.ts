import { apiTokenRevoke } from "../../../services/tokens.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZTokenIdInput } from "./tokens.types.ts";

export const revokeApiTokenProcedure = protectedProcedure.input(ZTokenIdInput).mutation(({ ctx, input }) => apiTokenRevoke(ctx.db, ctx.who, input.id));
