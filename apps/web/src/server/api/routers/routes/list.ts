import { listWorkingRoutes } from "../../../services/routes.ts";
import { protectedProcedure } from "../../trpc.ts";

/** Every route of the working config, flattened with its route config, virtual host and order. */
export const listRoutesProcedure = protectedProcedure.query(async ({ ctx }) => listWorkingRoutes(ctx.db));
