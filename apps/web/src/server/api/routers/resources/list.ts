import { listResources } from "../../../services/resources.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZListResourcesInput } from "./resources.types.ts";

export const listResourcesProcedure = protectedProcedure.input(ZListResourcesInput).query(async ({ ctx, input }) => listResources(ctx.db, input.kind));
