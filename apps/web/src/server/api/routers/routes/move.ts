import { moveRoute } from "../../../services/routes.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZMoveRouteInput } from "./move.types.ts";

export const moveRouteProcedure = editorProcedure.input(ZMoveRouteInput).mutation(async ({ ctx, input }) => {
  await moveRoute(ctx.db, ctx.who, input.ref, input.to);
  ctx.log("console.route.move", { user: ctx.user.email, route: input.ref, to: input.to });
  return { ok: true as const };
});
