import { getClusterEndpointsView } from "../../../services/cluster-endpoints.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZClusterEndpointsInput } from "./endpoints.types.ts";

/** Where a cluster's endpoints come from and what each node serves now (polled by the cluster page). */
export const clusterEndpointsProcedure = protectedProcedure.input(ZClusterEndpointsInput).query(async ({ ctx, input }) => getClusterEndpointsView(ctx.db, input.name));
