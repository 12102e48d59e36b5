import { dashboardSeries } from "../../../services/telemetry.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZSeriesInput } from "./telemetry.types.ts";

/**
 * A dashboard's data: the time series of one route / cluster (or all of a kind), the
 * publish / rollback markers in the range, and for clusters the endpoint health events.
 */
export const seriesProcedure = protectedProcedure.input(ZSeriesInput).query(({ ctx, input }) => dashboardSeries(ctx.db, input));
