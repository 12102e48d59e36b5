import { z } from "zod";

export const ZListAuditInput = z.object({
  actor: z.string().trim().max(200).optional(),
  /** An exact action (`version.publish`) or a family ending in a dot (`rollout.`). */
  action: z.string().trim().max(100).optional(),
  target: z.string().trim().max(200).optional(),
  beforeId: z.number().int().min(1).optional(),
  limit: z.number().int().min(1).max(500).default(100),
});
