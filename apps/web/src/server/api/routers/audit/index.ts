import { createTRPCRouter } from "../../trpc.ts";
import { listAuditProcedure } from "./list.ts";

export const auditRouter = createTRPCRouter({ list: listAuditProcedure });
