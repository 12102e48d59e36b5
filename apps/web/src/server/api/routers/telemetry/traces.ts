import { listTraces } from "@switchyard/db";
import { ZTraceQuery, toTraceFilter, traceSummary } from "../../../telemetry/traces.ts";
import { protectedProcedure } from "../../trpc.ts";

/** Recent traces with the filters of GET /api/v1/traces. */
export const tracesProcedure = protectedProcedure.input(ZTraceQuery).query(async ({ ctx, input }) => (await listTraces(ctx.db, toTraceFilter(input))).map(traceSummary));
