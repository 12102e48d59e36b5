import { logout } from "../../../services/auth.ts";
import { publicProcedure } from "../../trpc.ts";

export const logoutProcedure = publicProcedure.mutation(async ({ ctx }) => {
  await logout(ctx.db, ctx.sessionToken);
  ctx.clearSession();
  return { ok: true as const };
});
