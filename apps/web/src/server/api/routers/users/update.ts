import { userUpdate } from "../../../services/users.ts";
import { adminProcedure } from "../../trpc.ts";
import { ZUpdateUserInput } from "./users.types.ts";

export const updateUserProcedure = adminProcedure.input(ZUpdateUserInput).mutation(({ ctx, input }) => userUpdate(ctx.db, ctx.who, input));
