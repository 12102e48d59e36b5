import { publish } from "../../../services/versions.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZPublishInput } from "./versions.types.ts";

export const publishProcedure = protectedProcedure.input(ZPublishInput).mutation(async ({ ctx, input }) => {
  const result = await publish(ctx.db, ctx.user.email, input.message);
  ctx.log("console.publish", { user: ctx.user.email, version: result.version, hash: result.hash, unchanged: result.unchanged });
  return result;
});
