import type { TConfig, TRoute, TRouteMatch, TVirtualHost } from "@switchyard/config-model";
import type { Db } from "@switchyard/db";
import { getWorkingConfig } from "@switchyard/db";
import type { TIssueScope } from "../../lib/issues.ts";
import { AppError, validationError } from "./app-error.ts";
import { editWorkingConfig } from "./working-config.ts";

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
  const rows: TRouteRow[] = [];
  for (const rc of config.routeConfigs) {
    for (const vh of rc.virtualHosts) {
      vh.routes.forEach((route, order) => {
        rows.push({
          routeConfig: rc.name,
          virtualHost: vh.name,
          name: route.name,
          domains: vh.domains,
          order,
          match: route.match,
          actionKind: route.route ? "route" : route.redirect ? "redirect" : "directResponse",
          actionSummary: summarizeAction(route),
          route,
        });
      });
    }
  }
  return rows;
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
  return listRoutes((await getWorkingConfig(db)).config);
}

/** The route and the revision it was read at (the form sends it back: stale edits get 409). */
export async function getWorkingRoute(db: Db, ref: TRouteRef): Promise<TRouteRow & { revision: number }> {
  const { config, revision } = await getWorkingConfig(db);
  const row = listRoutes(config).find((r) => r.routeConfig === ref.routeConfig && r.virtualHost === ref.virtualHost && r.name === ref.name);
  if (!row) throw notFound(ref);
  return { ...row, revision };
}

/** The route configs and virtual hosts a route can be placed in (for the form's selectors). */
export async function listPlacements(db: Db): Promise<{ routeConfig: string; virtualHosts: { name: string; domains: string[] }[] }[]> {
  const { config } = await getWorkingConfig(db);
  return config.routeConfigs.map((rc) => ({
    routeConfig: rc.name,
    virtualHosts: rc.virtualHosts.map((vh) => ({ name: vh.name, domains: vh.domains })),
  }));
}

/** Appends a route to a virtual host, creating the route config and virtual host when missing. */
export async function createRoute(db: Db, actor: string, input: TRoutePlacement & { route: TRoute }): Promise<TRouteRow> {
  const { config } = await editWorkingConfig(db, actor, (draft) => {
    const { vh, path } = findOrCreateVirtualHost(draft, input);
    vh.routes.push(input.route);
    return { scopes: routeScopes(path, vh.routes.length - 1), result: undefined };
  });
  return rowOf(config, { ...input, name: input.route.name });
}

/**
 * Replaces the route named by `ref`. When the placement changes, the route moves to the
 * end of the target virtual host; otherwise it keeps its position (order matters).
 */
export async function updateRoute(db: Db, actor: string, input: TRoutePlacement & { ref: TRouteRef; route: TRoute; baseRevision?: number }): Promise<TRouteRow> {
  // Routes live inside their route config: a change anywhere in it counts as a conflict.
  const stale = { baseRevision: input.baseRevision, resource: `routeConfigs/${input.ref.routeConfig}` };
  const { config } = await editWorkingConfig(db, actor, (draft) => {
    const source = locate(draft, input.ref);
    const samePlace = input.ref.routeConfig === input.routeConfig && input.ref.virtualHost === input.virtualHost;
    if (samePlace) {
      source.vh.routes[source.index] = input.route;
      return { scopes: routeScopes(source.path, source.index), result: undefined };
    }
    source.vh.routes.splice(source.index, 1);
    const { vh, path } = findOrCreateVirtualHost(draft, input);
    vh.routes.push(input.route);
    return { scopes: routeScopes(path, vh.routes.length - 1), result: undefined };
  }, stale);
  return rowOf(config, { routeConfig: input.routeConfig, virtualHost: input.virtualHost, name: input.route.name });
}

export async function deleteRoute(db: Db, actor: string, ref: TRouteRef): Promise<void> {
  await editWorkingConfig(db, actor, (draft) => {
    const { vh, index } = locate(draft, ref);
    vh.routes.splice(index, 1);
    return { scopes: [], result: undefined };
  });
}

/** Issues on the route map to its form fields; issues on the virtual host's domains to "domains". */
function routeScopes(vhPath: string, index: number): TIssueScope[] {
  return [{ prefix: `${vhPath}.routes[${index}]` }, { prefix: `${vhPath}.domains`, as: "domains" }];
}

function locate(config: TConfig, ref: TRouteRef): { vh: TVirtualHost; path: string; index: number } {
  const i = config.routeConfigs.findIndex((rc) => rc.name === ref.routeConfig);
  const j = i < 0 ? -1 : config.routeConfigs[i]!.virtualHosts.findIndex((vh) => vh.name === ref.virtualHost);
  const vh = j < 0 ? undefined : config.routeConfigs[i]!.virtualHosts[j];
  const index = vh ? vh.routes.findIndex((r) => r.name === ref.name) : -1;
  if (!vh || index < 0) throw notFound(ref);
  return { vh, path: `routeConfigs[${i}].virtualHosts[${j}]`, index };
}

function findOrCreateVirtualHost(config: TConfig, placement: TRoutePlacement): { vh: TVirtualHost; path: string } {
  let i = config.routeConfigs.findIndex((rc) => rc.name === placement.routeConfig);
  if (i < 0) {
    config.routeConfigs.push({ name: placement.routeConfig, virtualHosts: [] });
    i = config.routeConfigs.length - 1;
  }
  const rc = config.routeConfigs[i]!;
  let j = rc.virtualHosts.findIndex((vh) => vh.name === placement.virtualHost);
  if (j < 0) {
    if (!placement.domains || placement.domains.length === 0) {
      throw validationError([
        {
          path: "domains",
          field: "domains",
          message: `virtual host "${placement.virtualHost}" does not exist yet: list its domains (e.g. *) to create it`,
        },
      ]);
    }
    rc.virtualHosts.push({ name: placement.virtualHost, domains: placement.domains, routes: [] });
    j = rc.virtualHosts.length - 1;
  }
  return { vh: rc.virtualHosts[j]!, path: `routeConfigs[${i}].virtualHosts[${j}]` };
}

function rowOf(config: TConfig, ref: TRouteRef): TRouteRow {
  const row = listRoutes(config).find((r) => r.routeConfig === ref.routeConfig && r.virtualHost === ref.virtualHost && r.name === ref.name);
  if (!row) throw notFound(ref);
  return row;
}

function notFound(ref: TRouteRef): AppError {
  return new AppError("NOT_FOUND", `route "${ref.name}" not found in ${ref.routeConfig} / ${ref.virtualHost}`);
}
