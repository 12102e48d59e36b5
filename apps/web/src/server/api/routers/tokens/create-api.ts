import { apiTokenCreate } from "../../../services/tokens.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZCreateApiTokenInput } from "./tokens.types.ts";

/** Any user may create tokens for themselves; a viewer's are read-only (enforced in the db layer). */
export const createApiTokenProcedure = protectedProcedure.input(ZCreateApiTokenInput).mutation(({ ctx, input }) => apiTokenCreate(ctx.db, ctx.who, input));
