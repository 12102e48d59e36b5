import { getWorkingCluster } from "../../../services/clusters.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZClusterName } from "./cluster.types.ts";

export const getClusterProcedure = protectedProcedure.input(ZClusterName).query(async ({ ctx, input }) => getWorkingCluster(ctx.db, input.name));
