import { publish } from "../../../services/versions.ts";
import { editorProcedure } from "../../trpc.ts";
import { ZPublishInput } from "./versions.types.ts";

export const publishProcedure = editorProcedure.input(ZPublishInput).mutation(async ({ ctx, input }) => {
  const result = await publish(ctx.db, ctx.who, input);
  ctx.log("console.publish", { user: ctx.user.email, version: result.version, hash: result.hash, unchanged: result.unchanged, group: input.group ?? null });
  return result;
});
