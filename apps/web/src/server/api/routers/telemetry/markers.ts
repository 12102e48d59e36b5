import { chartMarkers } from "../../../services/chart-markers.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZMarkersInput } from "./telemetry.types.ts";

/** The events every traffic chart draws: publishes, rollbacks, canary starts, promotions, guard trips. */
export const markersProcedure = protectedProcedure.input(ZMarkersInput).query(({ ctx, input }) => chartMarkers(ctx.db, input));
