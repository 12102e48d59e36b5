import { AppError } from "../../../services/app-error.ts";
import { logout } from "../../../services/auth.ts";
import { CSRF_HEADER } from "../../session-cookie.ts";
import { publicProcedure } from "../../trpc.ts";

export const logoutProcedure = publicProcedure.mutation(async ({ ctx }) => {
  // Without the CSRF header another site could log the user out: refused like every other
  // mutation, so "ok" always means the session is gone (issue #20: it answered ok and kept it).
  if (ctx.user && !ctx.csrfOk) throw new AppError("FORBIDDEN", `missing or wrong ${CSRF_HEADER} header (CSRF protection): reload the page`);
  if (ctx.user) await logout(ctx.db, { token: ctx.sessionToken, user: ctx.user, ip: ctx.ip });
  ctx.clearSession();
  // An OIDC user may be sent on to the provider to end its session too (the page navigates there).
  const providerLogout = ctx.user?.source === "oidc" ? await ctx.oidcEndSessionUrl() : null;
  return { ok: true as const, redirect: providerLogout?.href ?? null };
});
