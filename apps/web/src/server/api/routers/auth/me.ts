import { publicProcedure } from "../../trpc.ts";

/** The logged-in user, or null (public so the login page can ask without an error). */
export const meProcedure = publicProcedure.query(({ ctx }) => {
  if (ctx.user) ctx.refreshCsrf();
  return ctx.user;
});
