import { z } from "zod";
import { ZRouteRef } from "./route-ref.types.ts";

export const ZMoveRouteInput = z.object({ ref: ZRouteRef, to: z.number().int().min(0) });
