import { userCreate } from "../../../services/users.ts";
import { adminProcedure } from "../../trpc.ts";
import { ZCreateUserInput } from "./users.types.ts";

export const createUserProcedure = adminProcedure.input(ZCreateUserInput).mutation(({ ctx, input }) => userCreate(ctx.db, ctx.who, input));
