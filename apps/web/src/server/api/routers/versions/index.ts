import { createTRPCRouter } from "../../trpc.ts";
import { listVersionsProcedure } from "./list.ts";
import { pendingDiffProcedure } from "./pending-diff.ts";
import { publishProcedure } from "./publish.ts";
import { rollbackProcedure } from "./rollback.ts";

export const versionsRouter = createTRPCRouter({
  list: listVersionsProcedure,
  publish: publishProcedure,
  rollback: rollbackProcedure,
  pendingDiff: pendingDiffProcedure,
});
