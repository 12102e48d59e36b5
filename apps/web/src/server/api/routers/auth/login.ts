import { login } from "../../../services/auth.ts";
import { publicProcedure } from "../../trpc.ts";
import { ZLoginInput } from "./login.types.ts";

export const loginProcedure = publicProcedure.input(ZLoginInput).mutation(async ({ ctx, input }) => {
  const session = await login(ctx.db, input.email, input.password, ctx.ip);
  ctx.setSession(session.token, session.expiresAt);
  ctx.log("console.login", { email: session.user.email });
  return session.user;
});
