import { createTRPCRouter } from "../../trpc.ts";
import { listNodesProcedure } from "./list.ts";
import { nodeRefusalsProcedure } from "./refusals.ts";

export const nodesRouter = createTRPCRouter({ list: listNodesProcedure, refusals: nodeRefusalsProcedure });
