import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticateApiToken } from "@switchyard/db";
import { bearerToken, bearerTokenMatches } from "../xds/bearer.ts";
import { auditRoute } from "./audit-routes.ts";
import { getRolloutRoute, listRolloutsRoute, promoteRolloutRoute, rollbackRolloutRoute } from "./rollout-routes.ts";
import { listSecretsRoute } from "./secret-routes.ts";
import { API_ACTOR, configSchemaRoute, getConfig, putConfig, validateConfigRoute } from "./config-routes.ts";
import { ConfigValidationError } from "@switchyard/config-model";
import { DbError, dbFailureOf } from "@switchyard/db";
import { RestError, invalidConfig, sendError } from "./http.ts";
import { healthzRoute, listNodesRoute } from "./node-routes.ts";
import { getEndpointsRoute, putEndpointsRoute } from "./endpoint-routes.ts";
import { allowedMethods, matchRoute, type TPrincipal, type TRestDeps, type TRouteDef } from "./router.ts";
import { getTraceRoute, listTracesRoute, metricsRoute } from "./telemetry-routes.ts";
import { consoleMetrics } from "../telemetry/console-metrics.ts";
import { diffVersionsRoute, getVersionRoute, listVersionsRoute, publishRoute, rollbackRoute } from "./version-routes.ts";

export type { TRestDeps, TRestLog } from "./router.ts";
export { MAX_BODY_BYTES } from "./http.ts";

/** Everything below this prefix is the REST API (DESIGN.md §4); everything else is Next's. */
export const REST_PREFIX = "/api/v1";

/** The REST API's routes (DESIGN.md §4); exported so test/hardening can enumerate them. */
export const REST_ROUTES: readonly TRouteDef[] = [
  { pattern: "/healthz", methods: { GET: healthzRoute }, public: true },
  { pattern: "/schema/config-v1.json", methods: { GET: configSchemaRoute }, public: true },
  { pattern: "/config", methods: { GET: getConfig, PUT: putConfig } },
  { pattern: "/config/validate", methods: { POST: validateConfigRoute }, readOnlyPost: true },
  { pattern: "/versions", methods: { GET: listVersionsRoute, POST: publishRoute } },
  { pattern: "/versions/:v", methods: { GET: getVersionRoute } },
  { pattern: "/versions/:a/diff/:b", methods: { GET: diffVersionsRoute } },
  { pattern: "/versions/:v/rollback", methods: { POST: rollbackRoute } },
  { pattern: "/nodes", methods: { GET: listNodesRoute } },
  { pattern: "/clusters/:name/endpoints", methods: { GET: getEndpointsRoute, PUT: putEndpointsRoute } },
  { pattern: "/rollouts", methods: { GET: listRolloutsRoute } },
  { pattern: "/rollouts/:id", methods: { GET: getRolloutRoute } },
  { pattern: "/rollouts/:id/promote", methods: { POST: promoteRolloutRoute } },
  { pattern: "/rollouts/:id/rollback", methods: { POST: rollbackRolloutRoute } },
  { pattern: "/secrets", methods: { GET: listSecretsRoute } },
  { pattern: "/audit", methods: { GET: auditRoute } },
  { pattern: "/metrics/routes", methods: { GET: metricsRoute("route") } },
  { pattern: "/metrics/clusters", methods: { GET: metricsRoute("cluster") } },
  { pattern: "/traces", methods: { GET: listTracesRoute } },
  { pattern: "/traces/:traceId", methods: { GET: getTraceRoute } },
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
      const match = matchRoute(REST_ROUTES, path.slice(REST_PREFIX.length));
      // Authenticate before routing so unauthenticated callers cannot map the API.
      const ip = req.socket.remoteAddress ?? null;
      const principal: TPrincipal = match?.route.public ? { actor: "anonymous", scope: "read", ip } : await authenticate(req, deps);
      if (!match) throw new RestError(404, "SWY_REST_NOT_FOUND", `no such endpoint: ${req.method} ${path}`);
      const method = req.method === "HEAD" ? "GET" : (req.method ?? "GET");
      const handler = match.route.methods[method as keyof TRouteDef["methods"]];
      if (!handler) {
        const allow = allowedMethods(match.route).join(", ");
        throw new RestError(405, "SWY_REST_METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${path}; allowed: ${allow}`, {
          headers: { allow },
        });
      }
      const mutating = method !== "GET" && !(method === "POST" && match.route.readOnlyPost);
      if (mutating && principal.scope !== "write") {
        throw new RestError(403, "SWY_REST_FORBIDDEN", `${method} ${path} changes the config: it needs a write token (this token is read-only, or its owner is a viewer)`);
      }
      await handler({ req, res, params: match.params, query, deps, principal });
    } catch (err) {
      respondWithError(req, res, err, deps);
    }
    consoleMetrics.restRequests({ code_class: `${Math.floor(res.statusCode / 100)}xx` });
    return true;
  };
}

/**
 * SWITCHYARD_API_TOKEN (full access, actor "api-token"), or an API token created in the
 * console: its scope, capped by its owner's current role (a viewer's token only reads).
 */
async function authenticate(req: IncomingMessage, deps: TRestDeps): Promise<TPrincipal> {
  const challenge = { "www-authenticate": 'Bearer realm="switchyard"' };
  const ip = req.socket.remoteAddress ?? null;
  if (!req.headers.authorization) {
    throw new RestError(401, "SWY_REST_UNAUTHORIZED", "missing Authorization: Bearer <token>", { headers: challenge });
  }
  if (deps.apiToken && bearerTokenMatches(req.headers.authorization, deps.apiToken)) return { actor: API_ACTOR, scope: "write", ip };
  const token = bearerToken(req.headers.authorization);
  const owner = token ? await authenticateApiToken(deps.db, token) : null;
  if (!owner) {
    const hint = deps.apiToken ? "" : " (SWITCHYARD_API_TOKEN is not set on this console: use a token created on its Tokens page)";
    throw new RestError(401, "SWY_REST_UNAUTHORIZED", `invalid or revoked API token${hint}`, { headers: challenge });
  }
  const scope = owner.scope === "write" && owner.role !== "viewer" ? "write" : "read";
  return { actor: `${owner.email} (token ${owner.tokenName})`, scope, ip };
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
  // Bad text for the database (NUL bytes...) is the caller's 400; an unreachable database a 503.
  const failure = dbFailureOf(err);
  if (failure) {
    if (failure.status === 503) deps.log("rest_db_unavailable", { method: req.method, url: req.url, error: errorMessage(err) });
    sendError(res, new RestError(failure.status, failure.code, failure.message, failure.status === 503 ? { headers: { "retry-after": "1" } } : undefined));
    return;
  }
  deps.log("rest_internal_error", { method: req.method, url: req.url, error: errorMessage(err), stack: err instanceof Error ? err.stack : undefined });
  sendError(res, new RestError(500, "SWY_REST_INTERNAL", "internal error"));
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
