import { nodeTokenCreate } from "../../../services/tokens.ts";
import { adminProcedure } from "../../trpc.ts";
import { ZCreateNodeTokenInput } from "./tokens.types.ts";

export const createNodeTokenProcedure = adminProcedure.input(ZCreateNodeTokenInput).mutation(({ ctx, input }) => nodeTokenCreate(ctx.db, ctx.who, input));
