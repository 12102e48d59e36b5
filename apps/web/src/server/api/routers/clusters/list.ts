import { listWorkingClusters } from "../../../services/clusters.ts";
import { protectedProcedure } from "../../trpc.ts";

export const listClustersProcedure = protectedProcedure.query(async ({ ctx }) => listWorkingClusters(ctx.db));
