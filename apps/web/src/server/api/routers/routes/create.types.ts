import type { z } from "zod";
import { ZRouteBody, ZRoutePlacement } from "./route-ref.types.ts";

export const ZCreateRouteInput = ZRoutePlacement.extend({ route: ZRouteBody });
export type TCreateRouteInput = z.input<typeof ZCreateRouteInput>;
