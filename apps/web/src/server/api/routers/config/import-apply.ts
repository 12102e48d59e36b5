import { applyImport } from "../../../services/import-export.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZImportApplyInput } from "./config.types.ts";

export const importApplyProcedure = editorProcedure.input(ZImportApplyInput).mutation(async ({ ctx, input }) => {
  const result = await applyImport(ctx.db, ctx.user.email, input.text, input.revision);
  ctx.log("console.config.import", { user: ctx.user.email, revision: result.revision });
  return result;
});
