import { createTRPCRouter } from "./trpc.ts";
import { authRouter } from "./routers/auth/index.ts";
import { clustersRouter } from "./routers/clusters/index.ts";
import { nodesRouter } from "./routers/nodes/index.ts";
import { routesRouter } from "./routers/routes/index.ts";
import { versionsRouter } from "./routers/versions/index.ts";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  routes: routesRouter,
  clusters: clustersRouter,
  versions: versionsRouter,
  nodes: nodesRouter,
});

export type AppRouter = typeof appRouter;
