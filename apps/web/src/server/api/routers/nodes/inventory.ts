import { groupInventory } from "../../../services/node-inventory.ts";
import { protectedProcedure } from "../../trpc.ts";

/** Per node group: plugins its connected nodes announced and wasm modules its target config uses (the Nodes page). */
export const nodeInventoryProcedure = protectedProcedure.query(({ ctx }) => groupInventory(ctx.db));
