import type { z } from "zod";
import { ZRouteBody, ZRoutePlacement, ZRouteRef } from "./route-ref.types.ts";

export const ZUpdateRouteInput = ZRoutePlacement.extend({ ref: ZRouteRef, route: ZRouteBody });
export type TUpdateRouteInput = z.input<typeof ZUpdateRouteInput>;
