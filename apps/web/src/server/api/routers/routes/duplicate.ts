import { duplicateRoute } from "../../../services/routes.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZRouteRef } from "./route-ref.types.ts";

export const duplicateRouteProcedure = editorProcedure.input(ZRouteRef).mutation(async ({ ctx, input }) => {
  const copy = await duplicateRoute(ctx.db, ctx.who, input);
  ctx.log("console.route.duplicate", { user: ctx.user.email, route: input, name: copy.name });
  return copy;
});
