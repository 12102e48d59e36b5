import { listAuditEntries } from "../../../services/audit.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZListAuditInput } from "./audit.types.ts";

/** Every role may read the audit log (it holds diffs and names, never secret values). */
export const listAuditProcedure = protectedProcedure.input(ZListAuditInput).query(({ ctx, input }) => listAuditEntries(ctx.db, input));
