import { logout } from "../../../services/auth.ts";
import { publicProcedure } from "../../trpc.ts";

export const logoutProcedure = publicProcedure.mutation(async ({ ctx }) => {
  // Without the CSRF header another site could log the user out; the cookie is cleared either way.
  if (ctx.user && ctx.csrfOk) await logout(ctx.db, { token: ctx.sessionToken, user: ctx.user, ip: ctx.ip });
  ctx.clearSession();
  return { ok: true as const };
});
