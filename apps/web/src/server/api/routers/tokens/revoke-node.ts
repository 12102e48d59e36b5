import { nodeTokenRevoke } from "../../../services/tokens.ts";
import { adminProcedure } from "../../trpc.ts";
import { ZTokenIdInput } from "./tokens.types.ts";

export const revokeNodeTokenProcedure = adminProcedure.input(ZTokenIdInput).mutation(({ ctx, input }) => nodeTokenRevoke(ctx.db, ctx.who, input.id));
