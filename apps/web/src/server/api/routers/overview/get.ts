import { overview } from "../../../services/overview.ts";
import { protectedProcedure } from "../../trpc.ts";

export const overviewProcedure = protectedProcedure.query(async ({ ctx }) => overview(ctx.db));
