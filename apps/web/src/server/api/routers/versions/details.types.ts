import { z } from "zod";

export const ZVersionRef = z.object({ version: z.number().int().min(1) });
export const ZCompareInput = z.object({ a: z.number().int().min(1), b: z.number().int().min(1) });
