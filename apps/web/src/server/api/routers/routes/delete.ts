import { deleteRoute } from "../../../services/routes.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZRouteRef } from "./route-ref.types.ts";

export const deleteRouteProcedure = editorProcedure.input(ZRouteRef).mutation(async ({ ctx, input }) => {
  await deleteRoute(ctx.db, ctx.who, input);
  ctx.log("console.route.delete", { user: ctx.user.email, ref: input });
  return { ok: true as const };
});
