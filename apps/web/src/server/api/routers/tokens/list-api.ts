import { apiTokensList } from "../../../services/tokens.ts";
import { protectedProcedure } from "../../trpc.ts";

export const listApiTokensProcedure = protectedProcedure.query(({ ctx }) => apiTokensList(ctx.db, ctx.who));
