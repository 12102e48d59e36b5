import { metricsSummary } from "../../../services/telemetry.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZSummaryInput } from "./telemetry.types.ts";

/** Per route or cluster figures over the last `window` seconds (GET /api/v1/metrics/routes|clusters). */
export const summaryProcedure = protectedProcedure.input(ZSummaryInput).query(({ ctx, input }) => metricsSummary(ctx.db, input));
