import { recentRefusals } from "../../../services/nodes.ts";
import { protectedProcedure } from "../../trpc.ts";

export const nodeRefusalsProcedure = protectedProcedure.query(({ ctx }) => recentRefusals(ctx.db));
