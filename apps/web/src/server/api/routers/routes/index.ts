import { createTRPCRouter } from "../../trpc.ts";
import { createRouteProcedure } from "./create.ts";
import { deleteRouteProcedure } from "./delete.ts";
import { duplicateRouteProcedure } from "./duplicate.ts";
import { getRouteProcedure } from "./get.ts";
import { listRoutesProcedure } from "./list.ts";
import { listPlacementsProcedure } from "./placements.ts";
import { moveRouteProcedure } from "./move.ts";
import { updateRouteProcedure } from "./update.ts";

export const routesRouter = createTRPCRouter({
  list: listRoutesProcedure,
  placements: listPlacementsProcedure,
  get: getRouteProcedure,
  create: createRouteProcedure,
  update: updateRouteProcedure,
  delete: deleteRouteProcedure,
  move: moveRouteProcedure,
  duplicate: duplicateRouteProcedure,
});
