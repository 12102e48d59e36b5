import { createTRPCRouter } from "../../trpc.ts";
import { nodeDetailProcedure } from "./detail.ts";
import { nodeInventoryProcedure } from "./inventory.ts";
import { listNodesProcedure } from "./list.ts";
import { nodePluginsProcedure } from "./plugins.ts";
import { nodeRefusalsProcedure } from "./refusals.ts";

export const nodesRouter = createTRPCRouter({ list: listNodesProcedure, detail: nodeDetailProcedure, refusals: nodeRefusalsProcedure, plugins: nodePluginsProcedure, inventory: nodeInventoryProcedure });
