import { z } from "zod";

export const ZNodeIdInput = z.object({ id: z.string().min(1).max(256) });
