import { buildTopology } from "../../../telemetry/topology.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZTopologyInput } from "./telemetry.types.ts";

export const topologyProcedure = protectedProcedure.input(ZTopologyInput).query(({ ctx, input }) => buildTopology(ctx.db, input.windowS));
