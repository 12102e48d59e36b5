import type { IncomingMessage, ServerResponse } from "node:http";
import { AppError, toAppError } from "../services/app-error.ts";
import type { TWho } from "../services/context.ts";
import { principalForApiToken } from "../services/tokens.ts";
import { consoleMetrics } from "../telemetry/console-metrics.ts";
import { bearerToken, bearerTokenMatches } from "../xds/bearer.ts";
import { sendError, sendJson, sendYaml, wantsYaml } from "./http.ts";
import { parseRouteInput } from "./input.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { allowedMethods, matchPath, restRoute, type TRestCall, type TRestDeps, type TRestReply, type TRestRoute } from "./router.ts";
import { REST_ROUTES as API_ROUTES } from "./routes.ts";

export type { TRestDeps, TRestLog, TRestRoute } from "./router.ts";
export { MAX_BODY_BYTES } from "./http.ts";

/** Everything below this prefix is the REST API (DESIGN.md §4); everything else is Next's. */
export const REST_PREFIX = "/api/v1";

/**
 * Every mutation through the REST API with SWITCHYARD_API_TOKEN is made (and audited)
 * under this actor; console-made tokens act as `<owner e-mail> (token <name>)`.
 */
export const API_ACTOR = "api-token";

const API_VERSION = "1.0.0";
let openApi: Record<string, unknown> | undefined;

/** GET /openapi.json: the API's own description (public: it holds no data). */
const OPENAPI_ROUTE = restRoute({
  method: "GET",
  path: "/openapi.json",
  tag: "console",
  summary: "This API as an OpenAPI 3.1 document, generated from the routes and their input schemas",
  access: "public",
  run: async () => (openApi ??= buildOpenApiDocument(REST_ROUTES, { version: API_VERSION })),
  response: { description: "The OpenAPI document" },
});

/** The REST API's routes; exported so tests (test/hardening too) and the OpenAPI document enumerate them. */
export const REST_ROUTES: readonly TRestRoute[] = [...API_ROUTES, OPENAPI_ROUTE];

/**
 * Returns the REST API as a node:http handler. It answers (and resolves true) for every
 * path under /api/v1, and resolves false for anything else so the composition root can
 * hand the request to Next. It never rejects: failures become JSON error answers, with
 * the status of their code in the one error table.
 */
export function createRestHandler(deps: TRestDeps): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    if (path !== REST_PREFIX && !path.startsWith(`${REST_PREFIX}/`)) return false;
    const query = new URLSearchParams(q === -1 ? "" : rawUrl.slice(q + 1));
    try {
      const matches = matchPath(REST_ROUTES, path.slice(REST_PREFIX.length));
      const method = req.method === "HEAD" ? "GET" : (req.method ?? "GET");
      const match = matches.find((m) => m.route.method === method);
      // Authenticate before routing so unauthenticated callers cannot map the API.
      const ip = req.socket.remoteAddress ?? null;
      const principal = matches.length && matches.every((m) => m.route.access === "public") ? { actor: "anonymous", scope: "read" as const } : await authenticate(req, deps);
      if (!matches.length) throw new AppError("NOT_FOUND", `no such endpoint: ${req.method} ${path}`);
      if (!match) {
        const allow = allowedMethods(matches).join(", ");
        throw new AppError("METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${path}; allowed: ${allow}`, [], { allow });
      }
      const { route } = match;
      const access = route.access ?? (route.method === "GET" ? "read" : "write");
      if (access === "write" && principal.scope !== "write") {
        throw new AppError("FORBIDDEN", `${method} ${path} changes the config: it needs a write token (this token is read-only, or its owner is a viewer)`);
      }
      const who: TWho = { actor: principal.actor, ip };
      const call: TRestCall = { db: deps.db, who, log: deps.log, req, yaml: route.negotiate ? negotiated(req, query) : wantsYaml(req) };
      const input = await parseRouteInput(route, match.params, query, req);
      const result = await route.run(call, input);
      send(res, route.send ? route.send(result, call) : { status: route.status ?? 200, body: result });
    } catch (err) {
      respondWithError(req, res, err, deps);
    }
    consoleMetrics.restRequests({ code_class: `${Math.floor(res.statusCode / 100)}xx` });
    return true;
  };
}

function send(res: ServerResponse, reply: TRestReply): void {
  if (reply.yaml) sendYaml(res, reply.status ?? 200, reply.body, reply.headers, { schemaUrl: reply.schemaUrl });
  else sendJson(res, reply.status ?? 200, reply.body, reply.headers);
}

/** `?format=json|yaml` wins over Accept; another format is INVALID_INPUT. */
function negotiated(req: IncomingMessage, query: URLSearchParams): boolean {
  const format = query.get("format");
  if (format === null) return wantsYaml(req);
  if (format === "yaml" || format === "json") return format === "yaml";
  throw new AppError("INVALID_INPUT", `format: must be "json" or "yaml"`, [{ path: "format", message: 'must be "json" or "yaml"' }]);
}

/**
 * SWITCHYARD_API_TOKEN (full access, actor "api-token"), or an API token created in the
 * console: its scope, capped by its owner's current role (a viewer's token only reads).
 */
async function authenticate(req: IncomingMessage, deps: TRestDeps): Promise<{ actor: string; scope: "read" | "write" }> {
  if (!req.headers.authorization) throw new AppError("UNAUTHORIZED", "missing Authorization: Bearer <token>");
  if (deps.apiToken && bearerTokenMatches(req.headers.authorization, deps.apiToken)) return { actor: API_ACTOR, scope: "write" };
  const token = bearerToken(req.headers.authorization);
  const principal = token ? await principalForApiToken(deps.db, token) : null;
  if (!principal) {
    const hint = deps.apiToken ? "" : " (SWITCHYARD_API_TOKEN is not set on this console: use a token created on its Tokens page)";
    throw new AppError("UNAUTHORIZED", `invalid or revoked API token${hint}`);
  }
  return principal;
}

function respondWithError(req: IncomingMessage, res: ServerResponse, err: unknown, deps: TRestDeps): void {
  if (res.headersSent) {
    // Nothing sensible can be sent any more; cut the response so the client sees a failure.
    deps.log("rest_error_after_headers", { method: req.method, url: req.url, error: errorMessage(err) });
    res.destroy();
    return;
  }
  const app = toAppError(err);
  if (app.code === "DB_UNAVAILABLE") deps.log("rest_db_unavailable", { method: req.method, url: req.url, error: errorMessage(app.cause ?? err) });
  if (app.code === "INTERNAL") {
    const cause = app.cause ?? err;
    deps.log("rest_internal_error", { method: req.method, url: req.url, error: errorMessage(cause), stack: cause instanceof Error ? cause.stack : undefined });
  }
  sendError(res, app);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
