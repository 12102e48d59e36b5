import { createTRPCRouter } from "../../trpc.ts";
import { createClusterProcedure } from "./create.ts";
import { deleteClusterProcedure } from "./delete.ts";
import { clusterEndpointsProcedure } from "./endpoints.ts";
import { setClusterEndpointsProcedure } from "./set-endpoints.ts";
import { getClusterProcedure } from "./get.ts";
import { listClustersProcedure } from "./list.ts";
import { updateClusterProcedure } from "./update.ts";

export const clustersRouter = createTRPCRouter({
  list: listClustersProcedure,
  get: getClusterProcedure,
  create: createClusterProcedure,
  update: updateClusterProcedure,
  delete: deleteClusterProcedure,
  endpoints: clusterEndpointsProcedure,
  setEndpoints: setClusterEndpointsProcedure,
});
