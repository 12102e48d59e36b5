import { updateResource, type TAnyResource } from "../../../services/resources.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZUpdateResourceInput } from "./resources.types.ts";

export const updateResourceProcedure = editorProcedure.input(ZUpdateResourceInput).mutation(async ({ ctx, input }) => {
  const row = await updateResource(ctx.db, ctx.who, input.kind, input.name, input.resource as TAnyResource, input.baseRevision);
  ctx.log("console.resource.update", { user: ctx.user.email, kind: input.kind, name: input.name, ...(row.name !== input.name ? { renamedTo: row.name } : {}) });
  return row;
});
