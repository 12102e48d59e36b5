import { listHealthEvents, listVersionMarkers } from "@switchyard/db";
import { series } from "../../../telemetry/query.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZSeriesInput } from "./telemetry.types.ts";

/**
 * A dashboard's data: the time series of one route / cluster (or all of a kind), the
 * publish / rollback markers in the range, and for clusters the endpoint health events.
 */
export const seriesProcedure = protectedProcedure.input(ZSeriesInput).query(async ({ ctx, input }) => {
  const now = Date.now();
  const since = new Date(now - input.rangeS * 1000);
  const [s, markers, health] = await Promise.all([
    series(ctx.db, { kind: input.kind, rangeS: input.rangeS, ...(input.name !== undefined ? { name: input.name } : {}) }, now),
    listVersionMarkers(ctx.db, since),
    input.kind === "cluster" && input.name !== undefined ? listHealthEvents(ctx.db, { cluster: input.name, since, limit: 100 }) : Promise.resolve([]),
  ]);
  return { ...s, markers, health: health.map((h) => ({ ...h, at: h.at.getTime() })) };
});
