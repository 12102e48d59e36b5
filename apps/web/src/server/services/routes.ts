import type { TConfig, TRoute, TRouteMatch } from "@switchyard/config-model";
import type { TIssueScope } from "../../lib/issues.ts";
import { AppError, validationError } from "./app-error.ts";
import type { Db, TWho } from "./context.ts";
import { editWorkingConfig, readWorkingConfig, replaceAt } from "./working-config.ts";

export type TRouteRef = { routeConfig: string; virtualHost: string; name: string };

export type TRouteRow = TRouteRef & {
  domains: string[];
  /** Position inside the virtual host (first match wins), from 0. */
  order: number;
  match: TRouteMatch;
  actionKind: "route" | "redirect" | "directResponse";
  /** One line for the list, e.g. `-> users` or `301 -> /new`. */
  actionSummary: string;
  route: TRoute;
};

export type TRoutePlacement = {
  routeConfig: string;
  virtualHost: string;
  /** Domains of the virtual host; required only when it does not exist yet. */
  domains?: string[] | undefined;
};

export function listRoutes(config: TConfig): TRouteRow[] {
  return config.routeConfigs.flatMap((rc) => rc.virtualHosts.flatMap((vh) => vh.routes.map((route, order) => routeRow(rc.name, vh, route, order))));
}

function routeRow(routeConfig: string, vh: { name: string; domains: string[] }, route: TRoute, order: number): TRouteRow {
  return {
    routeConfig,
    virtualHost: vh.name,
    name: route.name,
    domains: vh.domains,
    order,
    match: route.match,
    actionKind: route.route ? "route" : route.redirect ? "redirect" : "directResponse",
    actionSummary: summarizeAction(route),
    route,
  };
}

export function summarizeAction(route: TRoute): string {
  if (route.route) {
    const a = route.route;
    const target = a.cluster ?? (a.weightedClusters ?? []).map((w) => `${w.cluster} (${w.weight})`).join(", ");
    const extras = [a.prefixRewrite && `rewrite ${a.prefixRewrite}`, a.hostRewrite && `host ${a.hostRewrite}`].filter(Boolean);
    return `→ ${target}${extras.length ? ` · ${extras.join(" · ")}` : ""}`;
  }
  if (route.redirect) {
    const r = route.redirect;
    const to = [r.httpsRedirect && "https", r.hostRedirect, r.portRedirect && `:${r.portRedirect}`, r.pathRedirect ?? r.prefixRewrite].filter(Boolean);
    return `${r.responseCode} redirect ${to.join(" ")}`.trim();
  }
  const d = route.directResponse;
  return d ? `respond ${d.status}${d.body ? ` "${d.body.length > 24 ? `${d.body.slice(0, 24)}…` : d.body}"` : ""}` : "";
}

export async function listWorkingRoutes(db: Db): Promise<TRouteRow[]> {
  return listRoutes((await readWorkingConfig(db)).config);
}

/** The route and the revision it was read at (the form sends it back: stale edits get 409). */
export async function getWorkingRoute(db: Db, ref: TRouteRef): Promise<TRouteRow & { revision: number }> {
  const { config, revision } = await readWorkingConfig(db);
  return { ...rowOf(config, ref), revision };
}

/** The route configs and virtual hosts a route can be placed in (for the form's selectors). */
export async function listPlacements(db: Db): Promise<{ routeConfig: string; virtualHosts: { name: string; domains: string[] }[] }[]> {
  const { config } = await readWorkingConfig(db);
  return config.routeConfigs.map((rc) => ({
    routeConfig: rc.name,
    virtualHosts: rc.virtualHosts.map((vh) => ({ name: vh.name, domains: vh.domains })),
  }));
}

/** Appends a route to a virtual host, creating the route config and virtual host when missing. */
export async function createRoute(db: Db, who: TWho, input: TRoutePlacement & { route: TRoute }): Promise<TRouteRow> {
  const { config } = await editWorkingConfig(db, who, (current) => {
    const place = placeOf(current, input);
    return { next: withRoutes(place.config, place, [...routesAt(place.config, place), input.route]), scopes: routeScopes(place.path, routesAt(place.config, place).length), result: undefined };
  });
  return rowOf(config, { ...input, name: input.route.name });
}

/**
 * Replaces the route named by `ref`. When the placement changes, the route moves to the
 * end of the target virtual host; otherwise it keeps its position (order matters).
 */
export async function updateRoute(db: Db, who: TWho, input: TRoutePlacement & { ref: TRouteRef; route: TRoute; baseRevision?: number | undefined }): Promise<TRouteRow> {
  const { ref } = input;
  const stale = { baseRevision: input.baseRevision, target: `routes/${ref.routeConfig}/${ref.virtualHost}/${ref.name}` };
  const { config } = await editWorkingConfig(
    db,
    who,
    (current) => {
      const source = locate(current, ref);
      if (ref.routeConfig === input.routeConfig && ref.virtualHost === input.virtualHost) {
        return { next: withRoutes(current, source, replaceAt(routesAt(current, source), source.index, input.route)), scopes: routeScopes(source.path, source.index), result: undefined };
      }
      const without = withRoutes(current, source, replaceAt(routesAt(current, source), source.index));
      const place = placeOf(without, input);
      const routes = routesAt(place.config, place);
      return { next: withRoutes(place.config, place, [...routes, input.route]), scopes: routeScopes(place.path, routes.length), result: undefined };
    },
    stale,
  );
  return rowOf(config, { routeConfig: input.routeConfig, virtualHost: input.virtualHost, name: input.route.name });
}

export async function deleteRoute(db: Db, who: TWho, ref: TRouteRef): Promise<void> {
  await editWorkingConfig(db, who, (current) => {
    const at = locate(current, ref);
    return { next: withRoutes(current, at, replaceAt(routesAt(current, at), at.index)), scopes: [], result: undefined };
  });
}

/**
 * Moves a route to position `to` (0-based) inside its virtual host; first match wins,
 * so this changes which requests it serves. Only the moved route's row is rewritten.
 */
export async function moveRoute(db: Db, who: TWho, ref: TRouteRef, to: number): Promise<void> {
  await editWorkingConfig(db, who, (current) => {
    const at = locate(current, ref);
    const routes = replaceAt(routesAt(current, at), at.index);
    routes.splice(Math.max(0, Math.min(to, routes.length)), 0, routesAt(current, at)[at.index]!);
    return { next: withRoutes(current, at, routes), scopes: [], result: undefined };
  });
}

/** Copies a route under a free name "<name>-copy[-n]", right after the original. */
export async function duplicateRoute(db: Db, who: TWho, ref: TRouteRef): Promise<{ name: string }> {
  const { result } = await editWorkingConfig(db, who, (current) => {
    const at = locate(current, ref);
    const routes = [...routesAt(current, at)];
    const names = new Set(routes.map((r) => r.name));
    let name = `${ref.name}-copy`;
    for (let n = 2; names.has(name); n++) name = `${ref.name}-copy-${n}`;
    routes.splice(at.index + 1, 0, { ...structuredClone(routes[at.index]!), name });
    return { next: withRoutes(current, at, routes), scopes: routeScopes(at.path, at.index + 1), result: { name } };
  });
  return result;
}

// --- where a route sits ------------------------------------------------------------------

type TVhostAt = { rc: number; vh: number; path: string };

/** Issues on the route map to its form fields; issues on the virtual host's domains to "domains". */
function routeScopes(vhPath: string, index: number): TIssueScope[] {
  return [{ prefix: `${vhPath}.routes[${index}]` }, { prefix: `${vhPath}.domains`, as: "domains" }];
}

function routesAt(config: TConfig, at: TVhostAt): readonly TRoute[] {
  return config.routeConfigs[at.rc]!.virtualHosts[at.vh]!.routes;
}

/** `config` with one virtual host's routes replaced; every other object is shared (copy-on-write). */
function withRoutes(config: TConfig, at: TVhostAt, routes: readonly TRoute[]): TConfig {
  const rc = config.routeConfigs[at.rc]!;
  const vh = { ...rc.virtualHosts[at.vh]!, routes: [...routes] };
  return { ...config, routeConfigs: replaceAt(config.routeConfigs, at.rc, { ...rc, virtualHosts: replaceAt(rc.virtualHosts, at.vh, vh) }) };
}

function locate(config: TConfig, ref: TRouteRef): TVhostAt & { index: number } {
  const rc = config.routeConfigs.findIndex((r) => r.name === ref.routeConfig);
  const vh = rc < 0 ? -1 : config.routeConfigs[rc]!.virtualHosts.findIndex((v) => v.name === ref.virtualHost);
  const index = vh < 0 ? -1 : config.routeConfigs[rc]!.virtualHosts[vh]!.routes.findIndex((r) => r.name === ref.name);
  if (index < 0) throw notFound(ref);
  return { rc, vh, index, path: `routeConfigs[${rc}].virtualHosts[${vh}]` };
}

/** Where `placement` is, adding its route config and virtual host to the config when they do not exist yet. */
function placeOf(config: TConfig, placement: TRoutePlacement): TVhostAt & { config: TConfig } {
  let next = config;
  let rc = next.routeConfigs.findIndex((r) => r.name === placement.routeConfig);
  if (rc < 0) {
    next = { ...next, routeConfigs: [...next.routeConfigs, { name: placement.routeConfig, virtualHosts: [] }] };
    rc = next.routeConfigs.length - 1;
  }
  const routeConfig = next.routeConfigs[rc]!;
  let vh = routeConfig.virtualHosts.findIndex((v) => v.name === placement.virtualHost);
  if (vh < 0) {
    if (!placement.domains || placement.domains.length === 0) {
      throw validationError([{ path: "domains", field: "domains", message: `virtual host "${placement.virtualHost}" does not exist yet: list its domains (e.g. *) to create it` }]);
    }
    const virtualHosts = [...routeConfig.virtualHosts, { name: placement.virtualHost, domains: placement.domains, routes: [] }];
    next = { ...next, routeConfigs: replaceAt(next.routeConfigs, rc, { ...routeConfig, virtualHosts }) };
    vh = virtualHosts.length - 1;
  }
  return { config: next, rc, vh, path: `routeConfigs[${rc}].virtualHosts[${vh}]` };
}

function rowOf(config: TConfig, ref: TRouteRef): TRouteRow {
  const at = locate(config, ref);
  const rc = config.routeConfigs[at.rc]!;
  const vh = rc.virtualHosts[at.vh]!;
  return routeRow(rc.name, vh, vh.routes[at.index]!, at.index);
}

function notFound(ref: TRouteRef): AppError {
  return new AppError("NOT_FOUND", `route "${ref.name}" not found in ${ref.routeConfig} / ${ref.virtualHost}`);
}
