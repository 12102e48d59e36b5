import { userDelete } from "../../../services/users.ts";
import { adminProcedure } from "../../trpc.ts";
import { ZDeleteUserInput } from "./users.types.ts";

export const deleteUserProcedure = adminProcedure.input(ZDeleteUserInput).mutation(async ({ ctx, input }) => {
  await userDelete(ctx.db, ctx.who, input.id);
  return { ok: true as const };
});
