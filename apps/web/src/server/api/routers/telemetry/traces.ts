import { listTraceSummaries } from "../../../services/telemetry.ts";
import { ZTraceQuery } from "../../../telemetry/traces.ts";
import { protectedProcedure } from "../../trpc.ts";

/** Recent traces with the filters of GET /api/v1/traces. */
export const tracesProcedure = protectedProcedure.input(ZTraceQuery).query(({ ctx, input }) => listTraceSummaries(ctx.db, input));
