import { createTRPCRouter } from "../../trpc.ts";
import { testRouteProcedure } from "./test.ts";

export const testerRouter = createTRPCRouter({ test: testRouteProcedure });
