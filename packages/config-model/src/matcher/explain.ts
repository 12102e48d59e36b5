import type { TLinearRegex } from "../linear-regex.ts";
import { findVirtualHost, matchValue, normaliseHost, parseQuery, routeRequest } from "./match.ts";
import type { TCompiledRoute, TCompiledRouteTable, TCompiledValueMatcher, TRouteRequest } from "./types.ts";

/**
 * The route tester's answer: which virtual host and route the proxy would pick for a
 * request, and why every earlier route of that virtual host did not match. The pick
 * itself always comes from `routeRequest` (the proxy's own function); the reasons are
 * computed beside it with the same primitives (`matchValue`, `parseQuery`), and a route
 * the explanation finds no reason against is exactly the one `routeRequest` returned.
 */
export type TRouteExplanation = {
  host: string;
  virtualHost: { name: string; domain: string; rule: "exact" | "suffix" | "prefix" | "any" } | null;
  /** Routes of the chosen virtual host up to and including the match (all of them when none matched), in order. */
  routes: { name: string; index: number; matched: boolean; reasons: string[] }[];
  /** The serving route, or null (the proxy answers 404 with response flag NR). */
  route: string | null;
};

export function explainRequest<C>(table: TCompiledRouteTable<C>, req: TRouteRequest): TRouteExplanation {
  const host = normaliseHost(req.host);
  const picked = routeRequest(table, req);
  const vhost = findVirtualHost(table, req.host);
  if (!vhost) return { host, virtualHost: null, routes: [], route: null };

  const routes: TRouteExplanation["routes"] = [];
  for (const [index, route] of vhost.routes.entries()) {
    const matched = picked.route === route;
    routes.push({ name: route.name, index, matched, reasons: matched ? [] : reasonsAgainst(route, req) });
    if (matched) break;
  }
  return { host, virtualHost: { name: vhost.name, ...domainRule(table, host, vhost) }, routes, route: picked.route?.name ?? null };
}

/** Which domain entry selected the virtual host, in the proxy's order of precedence. */
function domainRule<C>(table: TCompiledRouteTable<C>, host: string, vhost: unknown): { domain: string; rule: "exact" | "suffix" | "prefix" | "any" } {
  if (table.exact.get(host) === vhost) return { domain: host, rule: "exact" };
  const s = table.suffixes.find((x) => host.length > x.suffix.length && host.endsWith(x.suffix));
  if (s && s.vhost === vhost) return { domain: `*${s.suffix}`, rule: "suffix" };
  const p = table.prefixes.find((x) => host.length > x.prefix.length && host.startsWith(x.prefix));
  if (p && p.vhost === vhost) return { domain: `${p.prefix}*`, rule: "prefix" };
  return { domain: "*", rule: "any" };
}

/** Every criterion of `route` the request fails, in the order the matcher checks them. */
export function reasonsAgainst(route: TCompiledRoute<unknown>, req: TRouteRequest): string[] {
  const reasons: string[] = [];
  const path = route.caseSensitive ? req.path : req.path.toLowerCase();
  const nocase = route.caseSensitive ? "" : " (case-insensitive)";
  if (route.pathKind === "prefix" && !path.startsWith(route.pathValue)) reasons.push(`path "${req.path}" does not start with "${route.pathValue}"${nocase}`);
  if (route.pathKind === "exact" && path !== route.pathValue) reasons.push(`path "${req.path}" is not "${route.pathValue}"${nocase}`);
  if (route.pathKind === "regex" && !(route.pathRegex as TLinearRegex).test(req.path)) reasons.push(`path "${req.path}" does not match regex ${route.pathRegex?.source}`);
  if (route.methods !== null && !route.methods.has(req.method)) reasons.push(`method ${req.method} is not one of ${[...route.methods].join(", ")}`);
  for (const m of route.headers) {
    const raw = req.headers[m.name];
    const value = raw === undefined ? undefined : Array.isArray(raw) ? raw.join(",") : raw;
    if (!matchValue(m, value)) reasons.push(`header ${describeFailure(m, value)}`);
  }
  if (route.query.length) {
    const query = parseQuery(req.query);
    for (const m of route.query) if (!matchValue(m, query.get(m.name))) reasons.push(`query parameter ${describeFailure(m, query.get(m.name))}`);
  }
  return reasons;
}

function describeFailure(m: TCompiledValueMatcher, value: string | undefined): string {
  const not = m.invert ? "" : "not ";
  const seen = value === undefined ? "absent" : `"${value}"`;
  switch (m.kind) {
    case "exact":
      return `${m.name} is ${seen}, ${m.invert ? "must not equal" : "must equal"} "${m.value}"`;
    case "prefix":
      return `${m.name} is ${seen}, must ${not}start with "${m.value}"`;
    case "regex":
      return `${m.name} is ${seen}, must ${not}match ${m.regex?.source}`;
    case "present":
      return `${m.name} is ${seen}, must be ${m.present !== m.invert ? "present" : "absent"}`;
  }
}
