import { rollback } from "../../../services/versions.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZRollbackInput } from "./versions.types.ts";

export const rollbackProcedure = editorProcedure.input(ZRollbackInput).mutation(async ({ ctx, input }) => {
  const result = await rollback(ctx.db, ctx.who, input.version);
  ctx.log("console.rollback", { user: ctx.user.email, to: input.version, version: result.version });
  return result;
});
