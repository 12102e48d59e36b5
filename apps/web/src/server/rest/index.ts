import type { IncomingMessage, ServerResponse } from "node:http";
import { bearerTokenMatches } from "../xds/bearer.ts";
import { getConfig, putConfig, validateConfigRoute } from "./config-routes.ts";
import { ConfigValidationError } from "@switchyard/config-model";
import { DbError } from "@switchyard/db";
import { RestError, invalidConfig, sendError } from "./http.ts";
import { healthzRoute, listNodesRoute } from "./node-routes.ts";
import { getEndpointsRoute, putEndpointsRoute } from "./endpoint-routes.ts";
import { allowedMethods, matchRoute, type TRestDeps, type TRouteDef } from "./router.ts";
import { diffVersionsRoute, getVersionRoute, listVersionsRoute, publishRoute, rollbackRoute } from "./version-routes.ts";

export type { TRestDeps, TRestLog } from "./router.ts";
export { MAX_BODY_BYTES } from "./http.ts";

/** Everything below this prefix is the REST API (DESIGN.md §4); everything else is Next's. */
export const REST_PREFIX = "/api/v1";

/**
 * The REST API's routes. Not built yet (observability issue): GET /metrics/routes,
 * GET /metrics/clusters and GET /traces answer 404 until telemetry is stored.
 */
const ROUTES: readonly TRouteDef[] = [
  { pattern: "/healthz", methods: { GET: healthzRoute }, public: true },
  { pattern: "/config", methods: { GET: getConfig, PUT: putConfig } },
  { pattern: "/config/validate", methods: { POST: validateConfigRoute } },
  { pattern: "/versions", methods: { GET: listVersionsRoute, POST: publishRoute } },
  { pattern: "/versions/:v", methods: { GET: getVersionRoute } },
  { pattern: "/versions/:a/diff/:b", methods: { GET: diffVersionsRoute } },
  { pattern: "/versions/:v/rollback", methods: { POST: rollbackRoute } },
  { pattern: "/nodes", methods: { GET: listNodesRoute } },
  { pattern: "/clusters/:name/endpoints", methods: { GET: getEndpointsRoute, PUT: putEndpointsRoute } },
];

/**
 * Returns the REST API as a node:http handler. It answers (and resolves true) for every
 * path under /api/v1, and resolves false for anything else so the composition root can
 * hand the request to Next. It never rejects: failures become JSON error responses.
 */
export function createRestHandler(deps: TRestDeps): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    if (path !== REST_PREFIX && !path.startsWith(`${REST_PREFIX}/`)) return false;
    const query = new URLSearchParams(q === -1 ? "" : rawUrl.slice(q + 1));
    try {
      const match = matchRoute(ROUTES, path.slice(REST_PREFIX.length));
      // Authenticate before routing so unauthenticated callers cannot map the API.
      if (!match?.route.public) authenticate(req, deps.apiToken);
      if (!match) throw new RestError(404, "SWY_REST_NOT_FOUND", `no such endpoint: ${req.method} ${path}`);
      const method = req.method === "HEAD" ? "GET" : (req.method ?? "GET");
      const handler = match.route.methods[method as keyof TRouteDef["methods"]];
      if (!handler) {
        const allow = allowedMethods(match.route).join(", ");
        throw new RestError(405, "SWY_REST_METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${path}; allowed: ${allow}`, {
          headers: { allow },
        });
      }
      await handler({ req, res, params: match.params, query, deps });
    } catch (err) {
      respondWithError(req, res, err, deps);
    }
    return true;
  };
}

function authenticate(req: IncomingMessage, apiToken: string | undefined): void {
  const challenge = { "www-authenticate": 'Bearer realm="switchyard"' };
  if (!apiToken) {
    throw new RestError(401, "SWY_REST_API_DISABLED", "SWITCHYARD_API_TOKEN is not set on the console, so the REST API accepts no token", {
      headers: challenge,
    });
  }
  if (!req.headers.authorization) {
    throw new RestError(401, "SWY_REST_UNAUTHORIZED", "missing Authorization: Bearer <token>", { headers: challenge });
  }
  if (!bearerTokenMatches(req.headers.authorization, apiToken)) {
    throw new RestError(401, "SWY_REST_UNAUTHORIZED", "invalid API token", { headers: challenge });
  }
}

function respondWithError(req: IncomingMessage, res: ServerResponse, err: unknown, deps: TRestDeps): void {
  if (res.headersSent) {
    // Nothing sensible can be sent any more; cut the response so the client sees a failure.
    deps.log("rest_error_after_headers", { method: req.method, url: req.url, error: errorMessage(err) });
    res.destroy();
    return;
  }
  if (err instanceof RestError) {
    sendError(res, err);
    return;
  }
  // Data-layer errors carry their own status (e.g. a version deleted under a rollback: 404).
  if (err instanceof ConfigValidationError) {
    sendError(res, invalidConfig(err.issues));
    return;
  }
  if (err instanceof DbError && err.status < 500) {
    sendError(res, new RestError(err.status, err.code, err.message));
    return;
  }
  deps.log("rest_internal_error", { method: req.method, url: req.url, error: errorMessage(err), stack: err instanceof Error ? err.stack : undefined });
  sendError(res, new RestError(500, "SWY_REST_INTERNAL", "internal error"));
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
