import { replaceWithDocument } from "../../../services/config-document.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZReplaceConfigInput } from "./config.types.ts";

export const importApplyProcedure = editorProcedure.input(ZReplaceConfigInput).mutation(async ({ ctx, input }) => {
  const result = await replaceWithDocument(ctx.db, ctx.who, input);
  ctx.log("console.config.import", { user: ctx.user.email, revision: result.revision });
  return result;
});
