import { ZCluster, ZName } from "@switchyard/config-model";
import { z } from "zod";

export const ZClusterName = z.object({ name: ZName });
export const ZCreateClusterInput = z.object({ cluster: ZCluster });
/** `name` is the cluster's current name; `cluster.name` may rename it. */
/** `baseRevision`: the working-config revision the form was loaded at (stale edits get 409). */
export const ZUpdateClusterInput = z.object({ name: ZName, cluster: ZCluster, baseRevision: z.number().int().min(0).optional() });
