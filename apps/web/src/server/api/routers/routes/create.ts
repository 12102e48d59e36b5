import { createRoute } from "../../../services/routes.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZCreateRouteInput } from "./create.types.ts";

export const createRouteProcedure = editorProcedure.input(ZCreateRouteInput).mutation(async ({ ctx, input }) => {
  const row = await createRoute(ctx.db, ctx.who, input);
  ctx.log("console.route.create", { user: ctx.user.email, routeConfig: row.routeConfig, virtualHost: row.virtualHost, route: row.name });
  return row;
});
