import { setManagedEndpoints } from "../../../services/cluster-endpoints.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZSetClusterEndpointsInput } from "./endpoints.types.ts";

/** eds clusters: replaces the console-managed endpoints; nodes get them without a config version. */
export const setClusterEndpointsProcedure = editorProcedure.input(ZSetClusterEndpointsInput).mutation(async ({ ctx, input }) => {
  const set = await setManagedEndpoints(ctx.db, ctx.who, input);
  ctx.log("console.cluster.endpoints", { user: ctx.user.email, cluster: input.name, version: set.version, endpoints: input.endpoints.length });
  return set;
});
