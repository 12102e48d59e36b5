import { testRoute } from "../../../services/route-tester.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZTestRouteInput } from "./test.types.ts";

/** A query (no side effect): which route would serve this request, and why not the earlier ones. */
export const testRouteProcedure = protectedProcedure.input(ZTestRouteInput).query(async ({ ctx, input }) => testRoute(ctx.db, input));
