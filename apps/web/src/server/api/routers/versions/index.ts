import { createTRPCRouter } from "../../trpc.ts";
import { compareVersionsProcedure } from "./compare.ts";
import { getVersionProcedure } from "./get.ts";
import { listVersionsProcedure } from "./list.ts";
import { nodesPerVersionProcedure } from "./nodes-per-version.ts";
import { pendingChangesProcedure } from "./pending-changes.ts";
import { pendingDiffProcedure } from "./pending-diff.ts";
import { publishProcedure } from "./publish.ts";
import { rollbackProcedure } from "./rollback.ts";

export const versionsRouter = createTRPCRouter({
  list: listVersionsProcedure,
  publish: publishProcedure,
  rollback: rollbackProcedure,
  pendingDiff: pendingDiffProcedure,
  pendingChanges: pendingChangesProcedure,
  get: getVersionProcedure,
  compare: compareVersionsProcedure,
  nodesPerVersion: nodesPerVersionProcedure,
});
