import { duplicateResource } from "../../../services/resources.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZResourceRef } from "./resources.types.ts";

export const duplicateResourceProcedure = editorProcedure.input(ZResourceRef).mutation(async ({ ctx, input }) => {
  const copy = await duplicateResource(ctx.db, ctx.who, input.kind, input.name);
  ctx.log("console.resource.duplicate", { user: ctx.user.email, kind: input.kind, from: input.name, name: copy.name });
  return copy;
});
