import { createResource, type TAnyResource } from "../../../services/resources.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZCreateResourceInput } from "./resources.types.ts";

export const createResourceProcedure = editorProcedure.input(ZCreateResourceInput).mutation(async ({ ctx, input }) => {
  const row = await createResource(ctx.db, ctx.who, input.kind, input.resource as TAnyResource);
  ctx.log("console.resource.create", { user: ctx.user.email, kind: input.kind, name: row.name });
  return row;
});
