import { createTRPCRouter } from "../../trpc.ts";
import { overviewProcedure } from "./get.ts";

export const overviewRouter = createTRPCRouter({ get: overviewProcedure });
