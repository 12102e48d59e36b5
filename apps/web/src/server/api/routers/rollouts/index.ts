import { createTRPCRouter } from "../../trpc.ts";
import { getRolloutProcedure } from "./get.ts";
import { listRolloutsProcedure } from "./list.ts";
import { pauseRolloutProcedure, resumeRolloutProcedure } from "./pause.ts";
import { promoteRolloutProcedure } from "./promote.ts";
import { rollbackRolloutProcedure } from "./rollback.ts";

export const rolloutsRouter = createTRPCRouter({
  list: listRolloutsProcedure,
  get: getRolloutProcedure,
  promote: promoteRolloutProcedure,
  pause: pauseRolloutProcedure,
  resume: resumeRolloutProcedure,
  rollback: rollbackRolloutProcedure,
});
