import { ZHttpMethod, ZName } from "@switchyard/config-model";
import { z } from "zod";

export const ZTestRouteInput = z.object({
  source: z.union([z.literal("working"), z.number().int().min(1)]),
  routeConfig: ZName.optional(),
  method: ZHttpMethod,
  host: z.string().trim().min(1, "enter the Host the request is sent with"),
  path: z.string().startsWith("/", "must start with '/'"),
  query: z.string().default(""),
  headers: z.array(z.object({ name: z.string(), value: z.string() })).max(50).default([]),
});
