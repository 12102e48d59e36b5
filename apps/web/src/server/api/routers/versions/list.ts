import { listVersions } from "../../../services/versions.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZListVersionsInput } from "./versions.types.ts";

export const listVersionsProcedure = protectedProcedure.input(ZListVersionsInput).query(async ({ ctx, input }) => listVersions(ctx.db, input.limit));
