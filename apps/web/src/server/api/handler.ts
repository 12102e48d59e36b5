import type { IncomingMessage, ServerResponse } from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { MAX_BODY_BYTES } from "../rest/http.ts";
import { appRouter } from "./root.ts";
import { createContext, type TContextDeps } from "./trpc.ts";

export const TRPC_PREFIX = "/api/trpc";

/**
 * tRPC served by the custom server (not a Next route handler) so procedures use the
 * server's one Db instance instead of a separately bundled copy.
 */
export function createTrpcHandler(deps: TContextDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return createHTTPHandler({
    router: appRouter,
    basePath: `${TRPC_PREFIX}/`,
    // One body limit for the console's APIs (a 50 MiB anonymous login used to be parsed whole).
    maxBodySize: MAX_BODY_BYTES,
    createContext: ({ req, res }) => createContext(deps, req, res),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") deps.log("console.trpc.error", { path, message: error.message, cause: String(error.cause?.stack ?? error.cause) });
    },
  });
}
