import { updateCluster } from "../../../services/clusters.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZUpdateClusterInput } from "./cluster.types.ts";

export const updateClusterProcedure = editorProcedure.input(ZUpdateClusterInput).mutation(async ({ ctx, input }) => {
  const row = await updateCluster(ctx.db, ctx.user.email, input.name, input.cluster, input.baseRevision);
  ctx.log("console.cluster.update", { user: ctx.user.email, cluster: input.name, renamedTo: row.name === input.name ? undefined : row.name });
  return row;
});
