import { TRPCError } from "@trpc/server";
import { getTraceSpans } from "@switchyard/db";
import { waterfall } from "../../../telemetry/traces.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZTraceInput } from "./telemetry.types.ts";

/** One trace as a waterfall. */
export const traceProcedure = protectedProcedure.input(ZTraceInput).query(async ({ ctx, input }) => {
  const spans = await getTraceSpans(ctx.db, input.traceId);
  if (!spans.length) throw new TRPCError({ code: "NOT_FOUND", message: `no spans stored for trace ${input.traceId}` });
  return waterfall(spans);
});
