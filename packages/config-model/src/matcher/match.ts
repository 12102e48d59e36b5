import type { TLinearRegex } from "../linear-regex.ts";
import type {
  TCompiledForwardAction,
  TCompiledRedirectAction,
  TCompiledRoute,
  TCompiledRouteTable,
  TCompiledValueMatcher,
  TCompiledVirtualHost,
  TRouteRequest,
  TRouteTarget,
} from "./types.ts";
import { firstSegment } from "./route-index.ts";

/** Wildcard host lookups memoised per table, up to this many distinct hosts. */
const HOST_CACHE_LIMIT = 1024;

/**
 * Picks the virtual host for a Host/:authority value: the port is stripped and the
 * comparison is case-insensitive. Order (Envoy's): exact, longest suffix wildcard,
 * longest prefix wildcard, "*". A wildcard must stand for at least one character.
 */
export function findVirtualHost<C>(table: TCompiledRouteTable<C>, hostHeader: string): TCompiledVirtualHost<C> | null {
  const host = normaliseHost(hostHeader);
  const exact = table.exact.get(host);
  if (exact) return exact;
  const cached = table.hostCache.get(host);
  if (cached !== undefined) return cached;
  let found: TCompiledVirtualHost<C> | null = null;
  for (const s of table.suffixes) {
    if (host.length > s.suffix.length && host.endsWith(s.suffix)) {
      found = s.vhost;
      break;
    }
  }
  if (!found) {
    for (const p of table.prefixes) {
      if (host.length > p.prefix.length && host.startsWith(p.prefix)) {
        found = p.vhost;
        break;
      }
    }
  }
  found ??= table.any;
  if (table.hostCache.size < HOST_CACHE_LIMIT) table.hostCache.set(host, found);
  return found;
}

/** Lower-cases and strips the port: "API.example.com:8080" -> "api.example.com", "[::1]:80" -> "[::1]". */
export function normaliseHost(hostHeader: string): string {
  let end = hostHeader.length;
  const colon = hostHeader.lastIndexOf(":");
  // A colon inside "[...]" belongs to an IPv6 literal, not a port.
  if (colon !== -1 && hostHeader.indexOf("]", colon) === -1) end = colon;
  const host = end === hostHeader.length ? hostHeader : hostHeader.slice(0, end);
  return host.toLowerCase();
}

/** First route of the virtual host that matches, or null. Pure. */
export function matchRoute<C>(vhost: TCompiledVirtualHost<C>, req: TRouteRequest): TCompiledRoute<C> | null {
  let query: Map<string, string> | null = null;
  let lowerPath: string | null = null;
  // Large tables: only the routes that can match this path's first segment, in config order.
  const index = vhost.index;
  const routes = index === null ? vhost.routes : (index.bySegment.get(firstSegment(req.path)) ?? index.unindexed);
  for (const route of routes) {
    switch (route.pathKind) {
      case "prefix": {
        if (route.caseSensitive) {
          if (!req.path.startsWith(route.pathValue)) continue;
        } else {
          lowerPath ??= req.path.toLowerCase();
          if (!lowerPath.startsWith(route.pathValue)) continue;
        }
        break;
      }
      case "exact": {
        if (route.caseSensitive) {
          if (req.path !== route.pathValue) continue;
        } else {
          lowerPath ??= req.path.toLowerCase();
          if (lowerPath !== route.pathValue) continue;
        }
        break;
      }
      case "regex":
        if (!(route.pathRegex as TLinearRegex).test(req.path)) continue;
        break;
    }
    if (route.methods !== null && !route.methods.has(req.method)) continue;
    if (route.headers.length && !matchHeaders(route.headers, req.headers)) continue;
    if (route.query.length) {
      query ??= parseQuery(req.query);
      if (!matchQuery(route.query, query)) continue;
    }
    return route;
  }
  return null;
}

/** Virtual host, then route. `vhost` null means no virtual host serves the Host; `route` null means none matched. */
export function routeRequest<C>(
  table: TCompiledRouteTable<C>,
  req: TRouteRequest,
): { vhost: TCompiledVirtualHost<C> | null; route: TCompiledRoute<C> | null } {
  const vhost = findVirtualHost(table, req.host);
  if (!vhost) return { vhost: null, route: null };
  return { vhost, route: matchRoute(vhost, req) };
}

export function matchHeaders(matchers: readonly TCompiledValueMatcher[], headers: TRouteRequest["headers"]): boolean {
  for (const m of matchers) {
    const raw = headers[m.name];
    const value = raw === undefined ? undefined : Array.isArray(raw) ? raw.join(",") : raw;
    if (!matchValue(m, value)) return false;
  }
  return true;
}

function matchQuery(matchers: readonly TCompiledValueMatcher[], query: Map<string, string>): boolean {
  for (const m of matchers) if (!matchValue(m, query.get(m.name))) return false;
  return true;
}

/**
 * Envoy's semantics for an absent value: only `present: false` matches it (or
 * `present: true` inverted); exact/prefix/regex never match an absent value, inverted or not.
 */
export function matchValue(m: TCompiledValueMatcher, value: string | undefined): boolean {
  if (value === undefined) return m.kind === "present" && m.present === m.invert;
  let hit: boolean;
  switch (m.kind) {
    case "exact":
      hit = value === m.value;
      break;
    case "prefix":
      hit = value.startsWith(m.value);
      break;
    case "regex":
      hit = (m.regex as TLinearRegex).test(value);
      break;
    case "present":
      hit = m.present;
      break;
  }
  return hit !== m.invert;
}

/** First value of each parameter, percent-decoded ('+' as space, as forms do). */
export function parseQuery(query: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!query) return out;
  for (const [k, v] of new URLSearchParams(query)) if (!out.has(k)) out.set(k, v);
  return out;
}

/** Weighted random choice among a forward action's targets. */
export function pickTarget<C>(action: TCompiledForwardAction<C>, random: () => number = Math.random): TRouteTarget<C> | null {
  const targets = action.targets;
  if (targets.length === 1) return targets[0] as TRouteTarget<C>;
  if (targets.length === 0) return null;
  let r = random() * action.totalWeight;
  for (const t of targets) {
    r -= t.weight;
    if (r < 0) return t;
  }
  return targets[targets.length - 1] as TRouteTarget<C>;
}

/**
 * The path sent upstream after `prefixRewrite`: a prefix route replaces the matched
 * prefix; an exact or regex route replaces the whole path. The query is kept.
 */
export function rewritePath(route: TCompiledRoute<unknown>, rewrite: string, path: string, query: string): string {
  const rest = route.pathKind === "prefix" ? path.slice(route.pathValue.length) : "";
  let out = rewrite + rest;
  // "/" + "/users" would give "//users": Envoy keeps the slash once.
  if (rewrite.endsWith("/") && rest.startsWith("/")) out = rewrite + rest.slice(1);
  return query ? `${out}?${query}` : out;
}

/** The Location of a redirect route, built from the request as seen by the proxy. */
export function redirectLocation(
  route: TCompiledRoute<unknown>,
  action: TCompiledRedirectAction,
  req: { scheme: "http" | "https"; host: string; path: string; query: string },
): string {
  const scheme = action.httpsRedirect ? "https" : req.scheme;
  const { hostname, port } = splitHostPort(req.host);
  const host = action.hostRedirect ?? hostname;
  // The original port survives only when neither the host nor the scheme changes.
  let outPort: string | null = action.portRedirect !== null ? String(action.portRedirect) : null;
  if (outPort === null && action.hostRedirect === null && !action.httpsRedirect) outPort = port;
  if ((scheme === "https" && outPort === "443") || (scheme === "http" && outPort === "80")) outPort = null;

  let path = req.path;
  let query = action.stripQuery ? "" : req.query;
  if (action.pathRedirect !== null) {
    const q = action.pathRedirect.indexOf("?");
    if (q === -1) path = action.pathRedirect;
    else {
      path = action.pathRedirect.slice(0, q);
      query = action.pathRedirect.slice(q + 1);
    }
  } else if (action.prefixRewrite !== null) {
    path = route.pathKind === "prefix" ? action.prefixRewrite + req.path.slice(route.pathValue.length) : action.prefixRewrite;
  }
  return `${scheme}://${host}${outPort ? `:${outPort}` : ""}${path}${query ? `?${query}` : ""}`;
}

function splitHostPort(authority: string): { hostname: string; port: string | null } {
  const colon = authority.lastIndexOf(":");
  if (colon === -1 || authority.indexOf("]", colon) !== -1) return { hostname: authority, port: null };
  return { hostname: authority.slice(0, colon), port: authority.slice(colon + 1) };
}
