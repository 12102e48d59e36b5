import { ZCluster, ZName } from "@switchyard/config-model";
import { z } from "zod";

export const ZClusterName = z.object({ name: ZName });
export const ZCreateClusterInput = z.object({ cluster: ZCluster });
/** `name` is the cluster's current name; `cluster.name` may rename it. */
export const ZUpdateClusterInput = z.object({ name: ZName, cluster: ZCluster });
