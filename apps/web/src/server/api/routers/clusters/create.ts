import { createCluster } from "../../../services/clusters.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZCreateClusterInput } from "./cluster.types.ts";

export const createClusterProcedure = editorProcedure.input(ZCreateClusterInput).mutation(async ({ ctx, input }) => {
  const row = await createCluster(ctx.db, ctx.user.email, input.cluster);
  ctx.log("console.cluster.create", { user: ctx.user.email, cluster: row.name });
  return row;
});
