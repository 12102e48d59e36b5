import { traceWaterfall } from "../../../services/telemetry.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZTraceInput } from "./telemetry.types.ts";

/** One trace as a waterfall. */
export const traceProcedure = protectedProcedure.input(ZTraceInput).query(({ ctx, input }) => traceWaterfall(ctx.db, input));
