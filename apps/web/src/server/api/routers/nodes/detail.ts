import { nodeDetail } from "../../../services/node-detail.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZNodeIdInput } from "./detail.types.ts";

/** One node against its group's target: both versions, the structural diff, its last refusal with the offending paths. */
export const nodeDetailProcedure = protectedProcedure.input(ZNodeIdInput).query(({ ctx, input }) => nodeDetail(ctx.db, input.id));
