import { createTRPCRouter } from "../../trpc.ts";
import { listNodesProcedure } from "./list.ts";

export const nodesRouter = createTRPCRouter({ list: listNodesProcedure });
