import { listNodes } from "../../../services/nodes.ts";
import { protectedProcedure } from "../../trpc.ts";

export const listNodesProcedure = protectedProcedure.query(async ({ ctx }) => listNodes(ctx.db));
