import { listPlacements } from "../../../services/routes.ts";
import { protectedProcedure } from "../../trpc.ts";

/** Route configs and their virtual hosts, for the route form's selectors. */
export const listPlacementsProcedure = protectedProcedure.query(async ({ ctx }) => listPlacements(ctx.db));
