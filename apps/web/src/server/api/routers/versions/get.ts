import { versionDocument } from "../../../services/version-details.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZVersionRef } from "./details.types.ts";

export const getVersionProcedure = protectedProcedure.input(ZVersionRef).query(async ({ ctx, input }) => versionDocument(ctx.db, input.version));
