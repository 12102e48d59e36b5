import { z } from "zod";
import { ZRouteBody, ZRoutePlacement, ZRouteRef } from "./route-ref.types.ts";

/** `baseRevision`: the working-config revision the form was loaded at (stale edits get 409). */
export const ZUpdateRouteInput = ZRoutePlacement.extend({ ref: ZRouteRef, route: ZRouteBody, baseRevision: z.number().int().min(0).optional() });
export type TUpdateRouteInput = z.input<typeof ZUpdateRouteInput>;
