import { ZEndpoint, ZName } from "@switchyard/config-model";
import { z } from "zod";

export const ZClusterEndpointsInput = z.object({ name: ZName });
export const ZSetClusterEndpointsInput = z.object({ name: ZName, endpoints: z.array(ZEndpoint) });
