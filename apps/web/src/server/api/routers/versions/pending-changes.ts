import { pendingChanges } from "../../../services/version-details.ts";
import { protectedProcedure } from "../../trpc.ts";

/** What publishing now would change, value by value (before and after, routes moved). */
export const pendingChangesProcedure = protectedProcedure.query(async ({ ctx }) => pendingChanges(ctx.db));
