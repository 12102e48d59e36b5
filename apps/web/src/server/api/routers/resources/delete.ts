import { deleteResource } from "../../../services/resources.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZResourceRef } from "./resources.types.ts";

export const deleteResourceProcedure = editorProcedure.input(ZResourceRef).mutation(async ({ ctx, input }) => {
  await deleteResource(ctx.db, ctx.who, input.kind, input.name);
  ctx.log("console.resource.delete", { user: ctx.user.email, kind: input.kind, name: input.name });
  return { ok: true as const };
});
