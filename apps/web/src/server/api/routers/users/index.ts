import { createTRPCRouter } from "../../trpc.ts";
import { createUserProcedure } from "./create.ts";
import { deleteUserProcedure } from "./delete.ts";
import { listUsersProcedure } from "./list.ts";
import { updateUserProcedure } from "./update.ts";

export const usersRouter = createTRPCRouter({
  list: listUsersProcedure,
  create: createUserProcedure,
  update: updateUserProcedure,
  delete: deleteUserProcedure,
});
