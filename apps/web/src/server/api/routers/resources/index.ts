import { createTRPCRouter } from "../../trpc.ts";
import { createResourceProcedure } from "./create.ts";
import { deleteResourceProcedure } from "./delete.ts";
import { duplicateResourceProcedure } from "./duplicate.ts";
import { getResourceProcedure } from "./get.ts";
import { listResourcesProcedure } from "./list.ts";
import { updateResourceProcedure } from "./update.ts";

/** Listeners, route configs, TLS secrets and rate-limit policies, edited as whole documents. */
export const resourcesRouter = createTRPCRouter({
  list: listResourcesProcedure,
  get: getResourceProcedure,
  create: createResourceProcedure,
  update: updateResourceProcedure,
  delete: deleteResourceProcedure,
  duplicate: duplicateResourceProcedure,
});
