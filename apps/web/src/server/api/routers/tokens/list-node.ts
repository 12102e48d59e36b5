import { nodeTokensList } from "../../../services/tokens.ts";
import { adminProcedure } from "../../trpc.ts";

export const listNodeTokensProcedure = adminProcedure.query(({ ctx }) => nodeTokensList(ctx.db));
