import type { Db } from "@switchyard/db";
import { AppError } from "./app-error.ts";
import type { TRouteRef } from "./routes.ts";
import { editWorkingConfig } from "./working-config.ts";

/**
 * Moves a route to position `to` (0-based) inside its virtual host; first match wins,
 * so this changes which requests it serves. A route copy goes right after its original.
 */
export async function moveRoute(db: Db, actor: string, ref: TRouteRef, to: number): Promise<void> {
  await editWorkingConfig(db, actor, (draft) => {
    const routes = draft.routeConfigs.find((rc) => rc.name === ref.routeConfig)?.virtualHosts.find((vh) => vh.name === ref.virtualHost)?.routes;
    const from = routes ? routes.findIndex((r) => r.name === ref.name) : -1;
    if (!routes || from < 0) throw new AppError("NOT_FOUND", `route "${ref.name}" not found in ${ref.routeConfig} / ${ref.virtualHost}`);
    const [route] = routes.splice(from, 1);
    routes.splice(Math.max(0, Math.min(to, routes.length)), 0, route!);
    return { scopes: [], result: undefined };
  });
}

/** Copies a route under a free name "<name>-copy[-n]", right after the original. */
export async function duplicateRoute(db: Db, actor: string, ref: TRouteRef): Promise<{ name: string }> {
  let name = "";
  await editWorkingConfig(db, actor, (draft) => {
    const routes = draft.routeConfigs.find((rc) => rc.name === ref.routeConfig)?.virtualHosts.find((vh) => vh.name === ref.virtualHost)?.routes;
    const index = routes ? routes.findIndex((r) => r.name === ref.name) : -1;
    if (!routes || index < 0) throw new AppError("NOT_FOUND", `route "${ref.name}" not found in ${ref.routeConfig} / ${ref.virtualHost}`);
    const names = new Set(routes.map((r) => r.name));
    name = `${ref.name}-copy`;
    for (let n = 2; names.has(name); n++) name = `${ref.name}-copy-${n}`;
    routes.splice(index + 1, 0, { ...structuredClone(routes[index]!), name });
    return { scopes: [], result: undefined };
  });
  return { name };
}
