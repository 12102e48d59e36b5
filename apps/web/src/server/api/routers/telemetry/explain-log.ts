import { explainAccessLogLine } from "../../../services/request-explain.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZExplainLogInput } from "./telemetry.types.ts";

/** "Why this 503" from one pasted access-log line (its stored trace when it was sampled). */
export const explainLogProcedure = protectedProcedure.input(ZExplainLogInput).query(({ ctx, input }) => explainAccessLogLine(ctx.db, input));
