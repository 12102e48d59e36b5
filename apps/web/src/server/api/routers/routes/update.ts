import { updateRoute } from "../../../services/routes.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZUpdateRouteInput } from "./update.types.ts";

export const updateRouteProcedure = editorProcedure.input(ZUpdateRouteInput).mutation(async ({ ctx, input }) => {
  const row = await updateRoute(ctx.db, ctx.who, input);
  ctx.log("console.route.update", { user: ctx.user.email, ref: input.ref, route: row.name });
  return row;
});
