import { emptyConfig, type TConfig } from "../config.ts";
import type { TRoute, TRouteConfig, TVirtualHost } from "../route.ts";
import { isObject, note, toName, uniqueNamer, type TImportNote, type TImportResult } from "./report.ts";

export type TOpenApiImportOptions = {
  /** The cluster every imported route sends to; it must exist in `base`. */
  cluster: string;
  /** Route config and virtual host receiving the routes; created when missing. */
  routeConfig: string;
  virtualHost: string;
  /** Domains of a created virtual host; default ["*"]. */
  domains?: string[];
  /** The config the routes are added to (the current one); default empty. */
  base?: TConfig;
};

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

type TOperationRoute = { route: TRoute; templated: number };

/**
 * One route per path and method of an OpenAPI 3 document: a path without templates becomes
 * an exact `path` match, `/users/{id}` an anchored regex with `[^/]+` per template. Concrete
 * paths go first, then templated ones with fewer templates first, as OpenAPI says concrete
 * paths win. A route named like an imported one in the target virtual host is replaced.
 */
export function importOpenApi(doc: unknown, options: TOpenApiImportOptions): TImportResult {
  const unmapped: TImportNote[] = [];
  if (!isObject(doc) || typeof doc.openapi !== "string" || !doc.openapi.startsWith("3.")) {
    return { config: { ...(options.base ?? emptyConfig()) }, unmapped: [note(["openapi"], "not an OpenAPI 3 document (need openapi: 3.x)")] };
  }
  const basePath = serverBasePath(doc.servers, unmapped);
  const paths = isObject(doc.paths) ? doc.paths : {};
  const uniqueName = uniqueNamer();
  const routes: TOperationRoute[] = [];
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item) || !path.startsWith("/")) {
      unmapped.push(note(["paths", path], "not a path item"));
      continue;
    }
    if (typeof item.$ref === "string") unmapped.push(note(["paths", path, "$ref"], "path item references are not followed"));
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      const fullPath = joinPath(basePath, path);
      const name = uniqueName(toName(typeof op.operationId === "string" ? op.operationId : `${method}${path}`, `${method}-route`));
      const templated = (fullPath.match(/\{[^}/]+\}/g) ?? []).length;
      const match = templated ? { regex: templateRegex(fullPath) } : { path: fullPath };
      routes.push({ templated, route: { name, match: { ...match, methods: [method.toUpperCase()] }, route: { cluster: options.cluster } } as TRoute });
    }
  }
  routes.sort((a, b) => a.templated - b.templated);
  return { config: mergeRoutes(options, routes.map((r) => r.route)), unmapped };
}

/** The path of the first server URL (`https://api.example.com/v1` -> `/v1`); more servers are reported. */
function serverBasePath(servers: unknown, unmapped: TImportNote[]): string {
  if (!Array.isArray(servers) || servers.length === 0) return "";
  if (servers.length > 1) unmapped.push(note(["servers"], `${servers.length} servers: routes use the first one's base path`));
  const url = isObject(servers[0]) && typeof servers[0].url === "string" ? servers[0].url : "";
  if (url.includes("{")) unmapped.push(note(["servers", 0, "url"], "server variables are not expanded"));
  const path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "").replace(/\{[^}]*\}/g, "");
  return path.replace(/\/+$/, "");
}

function joinPath(base: string, path: string): string {
  return base ? `${base.startsWith("/") ? "" : "/"}${base}${path}` : path;
}

/** `/users/{id}/orders` -> `/users/[^/]+/orders` with every literal part escaped. */
export function templateRegex(path: string): string {
  return path
    .split(/(\{[^}/]+\})/)
    .map((part) => (part.startsWith("{") && part.endsWith("}") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
}

function mergeRoutes(options: TOpenApiImportOptions, routes: TRoute[]): Record<string, unknown> {
  const base = options.base ?? emptyConfig();
  const imported = new Set(routes.map((r) => r.name));
  const withRoutes = (vh: TVirtualHost): TVirtualHost => ({ ...vh, routes: [...routes, ...vh.routes.filter((r) => !imported.has(r.name))] });
  const newVirtualHost = { name: options.virtualHost, domains: options.domains ?? ["*"], routes } as TVirtualHost;
  const existing = base.routeConfigs.find((rc) => rc.name === options.routeConfig);
  const routeConfig: TRouteConfig = existing
    ? {
        ...existing,
        virtualHosts: existing.virtualHosts.some((vh) => vh.name === options.virtualHost)
          ? existing.virtualHosts.map((vh) => (vh.name === options.virtualHost ? withRoutes(vh) : vh))
          : [...existing.virtualHosts, newVirtualHost],
      }
    : { name: options.routeConfig, virtualHosts: [newVirtualHost] };
  const routeConfigs = existing ? base.routeConfigs.map((rc) => (rc === existing ? routeConfig : rc)) : [...base.routeConfigs, routeConfig];
  return { ...base, routeConfigs };
}
