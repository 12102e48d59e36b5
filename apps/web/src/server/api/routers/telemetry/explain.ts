import { explainTrace } from "../../../services/request-explain.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZTraceInput } from "./telemetry.types.ts";

/** "Why this 503": one sampled request's failure in words, the endpoint's state then, retries, route, version and what to change. */
export const explainProcedure = protectedProcedure.input(ZTraceInput).query(({ ctx, input }) => explainTrace(ctx.db, input.traceId));
