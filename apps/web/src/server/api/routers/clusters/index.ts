import { createTRPCRouter } from "../../trpc.ts";
import { clusterEndpointsProcedure } from "./endpoints.ts";
import { setClusterEndpointsProcedure } from "./set-endpoints.ts";

/** A cluster's endpoints (where they come from, what each node serves; eds: the managed set). Clusters themselves are a resource kind (resources router). */
export const clustersRouter = createTRPCRouter({
  endpoints: clusterEndpointsProcedure,
  setEndpoints: setClusterEndpointsProcedure,
});
