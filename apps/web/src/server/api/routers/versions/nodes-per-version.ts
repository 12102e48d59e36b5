import { nodesPerVersion } from "../../../services/version-details.ts";
import { protectedProcedure } from "../../trpc.ts";

export const nodesPerVersionProcedure = protectedProcedure.query(async ({ ctx }) => nodesPerVersion(ctx.db));
