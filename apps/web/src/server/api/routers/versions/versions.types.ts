import { z } from "zod";

export const ZListVersionsInput = z.object({ limit: z.number().int().min(1).max(500).default(100) }).default({ limit: 100 });
export const ZPublishInput = z.object({
  message: z.string().trim().min(1, "a message is required: say what this version changes").max(500, "must be at most 500 characters"),
});
export const ZRollbackInput = z.object({ version: z.number().int().min(1) });
