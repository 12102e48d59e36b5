import { z } from "zod";

export const ZRole = z.enum(["admin", "editor", "viewer"]);
export const ZCreateUserInput = z.object({
  email: z.string().trim().regex(/^[^\s@]+@[^\s@]+$/, "must be an e-mail address"),
  password: z.string().min(8, "must be at least 8 characters").max(200),
  role: ZRole,
});
export const ZUpdateUserInput = z.object({
  id: z.string().uuid(),
  role: ZRole.optional(),
  password: z.string().min(8, "must be at least 8 characters").max(200).optional(),
});
export const ZDeleteUserInput = z.object({ id: z.string().uuid() });
