import { getResource } from "../../../services/resources.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZResourceRef } from "./resources.types.ts";

export const getResourceProcedure = protectedProcedure.input(ZResourceRef).query(async ({ ctx, input }) => getResource(ctx.db, input.kind, input.name));
