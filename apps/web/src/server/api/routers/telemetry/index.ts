import { createTRPCRouter } from "../../trpc.ts";
import { explainLogProcedure } from "./explain-log.ts";
import { explainProcedure } from "./explain.ts";
import { liveProcedure } from "./live.ts";
import { markersProcedure } from "./markers.ts";
import { seriesProcedure } from "./series.ts";
import { summaryProcedure } from "./summary.ts";
import { topologyProcedure } from "./topology.ts";
import { traceProcedure } from "./trace.ts";
import { tracesProcedure } from "./traces.ts";

export const telemetryRouter = createTRPCRouter({
  summary: summaryProcedure,
  series: seriesProcedure,
  topology: topologyProcedure,
  traces: tracesProcedure,
  trace: traceProcedure,
  live: liveProcedure,
  markers: markersProcedure,
  explain: explainProcedure,
  explainLog: explainLogProcedure,
});
