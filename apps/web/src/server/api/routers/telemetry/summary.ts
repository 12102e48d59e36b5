import { summarize } from "../../../telemetry/query.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZSummaryInput } from "./telemetry.types.ts";

/** Per route or cluster figures over the last windowS seconds (the REST /metrics/* figures). */
export const summaryProcedure = protectedProcedure.input(ZSummaryInput).query(({ ctx, input }) => summarize(ctx.db, input.kind, input.windowS));
