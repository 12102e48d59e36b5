import { topology } from "../../../services/telemetry.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZTopologyInput } from "./telemetry.types.ts";

export const topologyProcedure = protectedProcedure.input(ZTopologyInput).query(({ ctx, input }) => topology(ctx.db, input));
