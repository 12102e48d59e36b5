import { createTRPCRouter } from "./trpc.ts";
import { authRouter } from "./routers/auth/index.ts";
import { clustersRouter } from "./routers/clusters/index.ts";
import { nodesRouter } from "./routers/nodes/index.ts";
import { routesRouter } from "./routers/routes/index.ts";
import { versionsRouter } from "./routers/versions/index.ts";
import { configRouter } from "./routers/config/index.ts";
import { overviewRouter } from "./routers/overview/index.ts";
import { resourcesRouter } from "./routers/resources/index.ts";
import { testerRouter } from "./routers/tester/index.ts";
import { auditRouter } from "./routers/audit/index.ts";
import { certificatesRouter } from "./routers/certificates/index.ts";
import { rolloutsRouter } from "./routers/rollouts/index.ts";
import { tokensRouter } from "./routers/tokens/index.ts";
import { usersRouter } from "./routers/users/index.ts";
import { telemetryRouter } from "./routers/telemetry/index.ts";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  routes: routesRouter,
  clusters: clustersRouter,
  versions: versionsRouter,
  nodes: nodesRouter,
  resources: resourcesRouter,
  tester: testerRouter,
  overview: overviewRouter,
  config: configRouter,
  rollouts: rolloutsRouter,
  users: usersRouter,
  tokens: tokensRouter,
  audit: auditRouter,
  certificates: certificatesRouter,
  telemetry: telemetryRouter,
});

export type AppRouter = typeof appRouter;
