import { getWorkingRoute } from "../../../services/routes.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZRouteRef } from "./route-ref.types.ts";

export const getRouteProcedure = protectedProcedure.input(ZRouteRef).query(async ({ ctx, input }) => getWorkingRoute(ctx.db, input));
