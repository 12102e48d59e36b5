import { ZName, ZRoute } from "@switchyard/config-model";
import { z } from "zod";

export const ZRouteRef = z.object({ routeConfig: ZName, virtualHost: ZName, name: ZName });

/** Where a route goes; `domains` only matters when the virtual host is created by this write. */
export const ZRoutePlacement = z.object({
  routeConfig: ZName,
  virtualHost: ZName,
  domains: z.array(z.string().trim().min(1)).optional(),
});

export const ZRouteBody = ZRoute;
