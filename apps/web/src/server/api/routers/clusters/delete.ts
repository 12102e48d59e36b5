import { deleteCluster } from "../../../services/clusters.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZClusterName } from "./cluster.types.ts";

export const deleteClusterProcedure = editorProcedure.input(ZClusterName).mutation(async ({ ctx, input }) => {
  await deleteCluster(ctx.db, ctx.user.email, input.name);
  ctx.log("console.cluster.delete", { user: ctx.user.email, cluster: input.name });
  return { ok: true as const };
});
