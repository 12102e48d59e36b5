import { pendingDiff } from "../../../services/versions.ts";
import { protectedProcedure } from "../../trpc.ts";

/** What publishing now would change, against the live version. */
export const pendingDiffProcedure = protectedProcedure.query(async ({ ctx }) => pendingDiff(ctx.db));
