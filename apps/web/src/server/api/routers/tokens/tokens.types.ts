import { z } from "zod";

export const ZCreateApiTokenInput = z.object({
  name: z.string().trim().min(1, "a name is required: say what uses the token").max(100),
  scope: z.enum(["read", "write"]),
});
export const ZCreateNodeTokenInput = z.object({
  name: z.string().trim().min(1, "a name is required").max(100),
  group: z.string().trim().min(1, "a group is required").max(100).regex(/^[^*]+$/, "must be a group name"),
});
export const ZTokenIdInput = z.object({ id: z.string().uuid() });
