import { createTRPCRouter } from "../../trpc.ts";
import { createApiTokenProcedure } from "./create-api.ts";
import { createNodeTokenProcedure } from "./create-node.ts";
import { listApiTokensProcedure } from "./list-api.ts";
import { listNodeTokensProcedure } from "./list-node.ts";
import { revokeApiTokenProcedure } from "./revoke-api.ts";
import { revokeNodeTokenProcedure } from "./revoke-node.ts";

export const tokensRouter = createTRPCRouter({
  listApi: listApiTokensProcedure,
  createApi: createApiTokenProcedure,
  revokeApi: revokeApiTokenProcedure,
  listNode: listNodeTokensProcedure,
  createNode: createNodeTokenProcedure,
  revokeNode: revokeNodeTokenProcedure,
});
