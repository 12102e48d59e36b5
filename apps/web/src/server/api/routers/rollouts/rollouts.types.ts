import { z } from "zod";

export const ZRolloutIdInput = z.object({ id: z.number().int().min(1) });
export const ZRollbackRolloutInput = ZRolloutIdInput.extend({ reason: z.string().trim().max(500).optional() });
