import { compareVersions } from "../../../services/version-details.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZCompareInput } from "./details.types.ts";

export const compareVersionsProcedure = protectedProcedure.input(ZCompareInput).query(async ({ ctx, input }) => compareVersions(ctx.db, input.a, input.b));
