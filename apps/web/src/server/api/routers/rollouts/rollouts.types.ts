import { z } from "zod";

export const ZRolloutIdInput = z.object({ id: z.number().int().min(1) });
export const ZRollbackRolloutInput = ZRolloutIdInput.extend({ reason: z.string().trim().max(500).optional() });
/** `to`: a stepped rollout's next step (the default) or every node at once; a group canary always goes to every node. */
export const ZPromoteRolloutInput = ZRolloutIdInput.extend({ to: z.enum(["next", "all"]).optional() });
