import { usersList } from "../../../services/users.ts";
import { adminProcedure } from "../../trpc.ts";

export const listUsersProcedure = adminProcedure.query(({ ctx }) => usersList(ctx.db));
