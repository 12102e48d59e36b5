import { listAudit } from "@switchyard/db";
import { protectedProcedure } from "../../trpc.ts";
import { ZListAuditInput } from "./audit.types.ts";

/** Every role may read the audit log (it holds diffs and names, never secret values). */
export const listAuditProcedure = protectedProcedure.input(ZListAuditInput).query(({ ctx, input }) =>
  listAudit(ctx.db, {
    limit: input.limit,
    ...(input.beforeId ? { beforeId: input.beforeId } : {}),
    ...(input.actor ? { actor: input.actor } : {}),
    ...(input.action ? (input.action.endsWith(".") ? { actionPrefix: input.action } : { action: input.action }) : {}),
    ...(input.target ? { target: input.target } : {}),
  }),
);
