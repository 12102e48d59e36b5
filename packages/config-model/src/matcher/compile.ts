import { compileLinearRegex, type TLinearRegex } from "../linear-regex.ts";
import { buildRouteIndex } from "./route-index.ts";
import type { THashPolicy, THeaderMatcher, THeaderMutation, TQueryMatcher, TRetryPolicy, TRoute, TRouteConfig, TVirtualHost } from "../route.ts";
import { compileHeaderMutation, type TCompiledHeaderMutation } from "./header-mutation.ts";
import type {
  TCompiledAction,
  TCompiledHashPolicy,
  TCompiledRetryPolicy,
  TCompiledRoute,
  TCompiledRouteTable,
  TCompiledValueMatcher,
  TCompiledVirtualHost,
} from "./types.ts";

/** What a compiled route took from its virtual host; a route is reused only in the same one. */
type TVhostContext = {
  readonly name: string;
  readonly rateLimit: string | null;
  readonly requestHeaders: TCompiledHeaderMutation | null;
  readonly responseHeaders: TCompiledHeaderMutation | null;
};

/**
 * Compiled routes of earlier versions, for the next compileRouteTable: a route that is the
 * same validated object (config-model's ValidationMemo hands out the same object for an
 * unchanged route), in a virtual host with the same name, rate limit and header
 * mutations, whose clusters bind to the same targets, is reused as compiled (lazily
 * compiled regexes included). A virtual host whose routes are all reused, in the same
 * order, keeps its compiled form and route index. Entries go with their route objects
 * (weak), and the virtual hosts kept are those of the last table compiled per name.
 */
export class RouteCompileCache<C> {
  readonly routes = new WeakMap<TRoute, { readonly compiled: TCompiledRoute<C>; readonly vhost: TVhostContext }>();
  readonly mutations = new WeakMap<THeaderMutation, TCompiledHeaderMutation | null>();
  /** "<route config>\n<virtual host>" -> its last compiled form. */
  vhosts = new Map<string, TCompiledVirtualHost<C>>();
  /** Routes compiled and reused since the caller last reset it (the proxy: once per version). */
  stats = { compiled: 0, reused: 0 };
}

/**
 * Compiles a validated route config into the immutable table the matcher walks.
 * `bindCluster` turns a cluster name into whatever the caller routes to; it is called
 * once per reference here, never per request. Regexes are built here, anchored to the
 * whole value, as config-model documents ("whole-path regex"). `cache`: reuse what an
 * earlier version compiled (RouteCompileCache).
 */
export function compileRouteTable<C>(rc: TRouteConfig, bindCluster: (name: string) => C, cache?: RouteCompileCache<C>): TCompiledRouteTable<C> {
  const exact = new Map<string, TCompiledVirtualHost<C>>();
  const suffixes: { suffix: string; vhost: TCompiledVirtualHost<C> }[] = [];
  const prefixes: { prefix: string; vhost: TCompiledVirtualHost<C> }[] = [];
  let any: TCompiledVirtualHost<C> | null = null;

  const vhosts = new Map<string, TCompiledVirtualHost<C>>();
  for (const vh of rc.virtualHosts) {
    const vhost = compileVirtualHost(vh, bindCluster, cache, `${rc.name}\n${vh.name}`);
    vhosts.set(`${rc.name}\n${vh.name}`, vhost);
    for (const raw of vh.domains) {
      const d = raw.toLowerCase();
      if (d === "*") any ??= vhost;
      else if (d.startsWith("*")) suffixes.push({ suffix: d.slice(1), vhost });
      else if (d.endsWith("*")) prefixes.push({ prefix: d.slice(0, -1), vhost });
      else if (!exact.has(d)) exact.set(d, vhost);
    }
  }
  // Envoy's order: exact, then longest suffix wildcard, then longest prefix wildcard, then "*".
  // Array.prototype.sort is stable, so equal lengths keep config order.
  suffixes.sort((a, b) => b.suffix.length - a.suffix.length);
  prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  if (cache) {
    for (const key of cache.vhosts.keys()) if (key.startsWith(`${rc.name}\n`) && !vhosts.has(key)) cache.vhosts.delete(key);
    for (const [key, vhost] of vhosts) cache.vhosts.set(key, vhost);
  }

  return Object.freeze({
    name: rc.name,
    exact,
    suffixes: Object.freeze(suffixes.map((s) => Object.freeze(s))),
    prefixes: Object.freeze(prefixes.map((p) => Object.freeze(p))),
    any,
    hostCache: new Map(),
  });
}

function compileVirtualHost<C>(vh: TVirtualHost, bindCluster: (name: string) => C, cache: RouteCompileCache<C> | undefined, key: string): TCompiledVirtualHost<C> {
  const context: TVhostContext = {
    name: vh.name,
    rateLimit: vh.rateLimit ?? null,
    requestHeaders: compileMutation(vh.requestHeaders, cache),
    responseHeaders: compileMutation(vh.responseHeaders, cache),
  };
  let reusedAll = true;
  const routes = vh.routes.map((r) => {
    const kept = cache?.routes.get(r);
    if (kept && sameVhost(kept.vhost, context) && sameClusters(kept.compiled, bindCluster)) {
      cache!.stats.reused++;
      return kept.compiled;
    }
    reusedAll = false;
    const compiled = compileRoute(r, context, bindCluster, cache);
    if (cache) {
      cache.stats.compiled++;
      cache.routes.set(r, { compiled, vhost: context });
    }
    return compiled;
  });
  const previous = cache?.vhosts.get(key);
  if (reusedAll && previous && previous.routes.length === routes.length && previous.routes.every((r, i) => r === routes[i])) return previous;
  return Object.freeze({
    name: vh.name,
    routes: Object.freeze(routes),
    index: buildRouteIndex(routes, vh.routes.map((r) => r.match.regex ?? null)),
    needsQuery: routes.some((r) => r.query.length > 0),
  });
}

/** One compiled form per validated mutation object, so a reused route and its virtual host agree by identity. */
function compileMutation<C>(m: THeaderMutation | undefined, cache: RouteCompileCache<C> | undefined): TCompiledHeaderMutation | null {
  if (!m || !cache) return compileHeaderMutation(m);
  let compiled = cache.mutations.get(m);
  if (compiled === undefined) {
    compiled = compileHeaderMutation(m);
    cache.mutations.set(m, compiled);
  }
  return compiled;
}

function sameVhost(a: TVhostContext, b: TVhostContext): boolean {
  return a.name === b.name && a.rateLimit === b.rateLimit && a.requestHeaders === b.requestHeaders && a.responseHeaders === b.responseHeaders;
}

/** Every cluster the compiled route routes or mirrors to still binds to the same target. */
function sameClusters<C>(route: TCompiledRoute<C>, bindCluster: (name: string) => C): boolean {
  const a = route.action;
  if (a.kind !== "route") return true;
  return a.targets.every((t) => bindCluster(t.name) === t.cluster) && a.mirrors.every((m) => bindCluster(m.name) === m.cluster);
}

function compileRoute<C>(r: TRoute, vhost: TVhostContext, bindCluster: (name: string) => C, cache: RouteCompileCache<C> | undefined): TCompiledRoute<C> {
  const m = r.match;
  const caseSensitive = m.caseSensitive;
  let pathKind: TCompiledRoute<C>["pathKind"];
  let pathValue = "";
  let pathRegex: TLinearRegex | null = null;
  if (m.prefix !== undefined) {
    pathKind = "prefix";
    pathValue = caseSensitive ? m.prefix : m.prefix.toLowerCase();
  } else if (m.path !== undefined) {
    pathKind = "exact";
    pathValue = caseSensitive ? m.path : m.path.toLowerCase();
  } else {
    pathKind = "regex";
    // caseSensitive applies to prefix/path only (config-model's documented meaning, as Envoy).
    pathRegex = compileLinearRegex(m.regex ?? "");
  }
  const reqMutations = [compileMutation(r.requestHeaders, cache), vhost.requestHeaders].filter((x): x is TCompiledHeaderMutation => x !== null);
  const resMutations = [compileMutation(r.responseHeaders, cache), vhost.responseHeaders].filter((x): x is TCompiledHeaderMutation => x !== null);
  return Object.freeze({
    name: r.name,
    virtualHost: vhost.name,
    pathKind,
    pathValue,
    caseSensitive,
    pathRegex,
    methods: m.methods ? new Set(m.methods) : null,
    headers: Object.freeze(m.headers.map((h) => compileValueMatcher(h, true))),
    query: Object.freeze(m.query.map((q) => compileValueMatcher(q, false))),
    action: compileAction(r, bindCluster),
    rateLimits: Object.freeze([vhost.rateLimit, r.route?.rateLimit ?? null].filter((x): x is string => x !== null)),
    requestHeaders: Object.freeze(reqMutations),
    responseHeaders: Object.freeze(resMutations),
    filterOverrides: r.filterOverrides ?? null,
  });
}

export function compileValueMatcher(h: THeaderMatcher | TQueryMatcher, lowerName: boolean): TCompiledValueMatcher {
  const name = lowerName ? h.name.toLowerCase() : h.name;
  const base = { name, invert: h.invert, value: "", regex: null, present: true };
  if (h.exact !== undefined) return Object.freeze({ ...base, kind: "exact", value: h.exact });
  if (h.prefix !== undefined) return Object.freeze({ ...base, kind: "prefix", value: h.prefix });
  if (h.regex !== undefined) return Object.freeze({ ...base, kind: "regex", regex: compileLinearRegex(h.regex) });
  return Object.freeze({ ...base, kind: "present", present: h.present ?? true });
}

function compileAction<C>(r: TRoute, bindCluster: (name: string) => C): TCompiledAction<C> {
  if (r.route) {
    const a = r.route;
    const weighted = a.weightedClusters ?? [{ cluster: a.cluster ?? "", weight: 1 }];
    const targets = weighted
      .filter((w) => w.weight > 0)
      .map((w) => Object.freeze({ name: w.cluster, cluster: bindCluster(w.cluster), weight: w.weight }));
    return Object.freeze({
      kind: "route",
      targets: Object.freeze(targets),
      totalWeight: targets.reduce((s, t) => s + t.weight, 0),
      prefixRewrite: a.prefixRewrite ?? null,
      hostRewrite: a.hostRewrite ?? null,
      timeoutMs: a.timeoutMs,
      idleTimeoutMs: a.idleTimeoutMs,
      retryPolicy: a.retryPolicy ? compileRetryPolicy(a.retryPolicy) : null,
      hashPolicy: Object.freeze(a.hashPolicy.map(compileHashPolicy)),
      mirrors: Object.freeze(a.mirror.map((m) => Object.freeze({ name: m.cluster, cluster: bindCluster(m.cluster), fraction: m.fraction }))),
      allowUpgrade: a.allowUpgrade,
      upgradeIdleTimeoutMs: a.upgradeIdleTimeoutMs,
    });
  }
  if (r.redirect) {
    const d = r.redirect;
    return Object.freeze({
      kind: "redirect",
      hostRedirect: d.hostRedirect ?? null,
      portRedirect: d.portRedirect ?? null,
      pathRedirect: d.pathRedirect ?? null,
      prefixRewrite: d.prefixRewrite ?? null,
      responseCode: d.responseCode,
      httpsRedirect: d.httpsRedirect,
      stripQuery: d.stripQuery,
    });
  }
  const dr = r.directResponse;
  if (!dr) throw new Error(`route "${r.name}" has no action (config-model should have refused it)`);
  return Object.freeze({ kind: "directResponse", status: dr.status, body: Buffer.from(dr.body), contentType: dr.contentType });
}

function compileRetryPolicy(p: TRetryPolicy): TCompiledRetryPolicy {
  const on = new Set(p.retryOn);
  return Object.freeze({
    numRetries: p.numRetries,
    perTryTimeoutMs: p.perTryTimeoutMs,
    backoffBaseMs: p.backoff.baseMs,
    // As Envoy: the back-off cap is never below the base.
    backoffMaxMs: Math.max(p.backoff.maxMs, p.backoff.baseMs),
    on5xx: on.has("5xx"),
    onGatewayError: on.has("gateway-error"),
    onConnectFailure: on.has("connect-failure"),
    onReset: on.has("reset"),
    onRefusedStream: on.has("refused-stream"),
    onRetriable4xx: on.has("retriable-4xx"),
    statusCodes: new Set(on.has("retriable-status-codes") ? p.retriableStatusCodes : []),
    maxBufferBytes: p.maxBufferBytes,
  });
}

function compileHashPolicy(h: THashPolicy): TCompiledHashPolicy {
  if ("header" in h) return Object.freeze({ kind: "header", name: h.header.toLowerCase() });
  if ("cookie" in h) return Object.freeze({ kind: "cookie", name: h.cookie });
  return Object.freeze({ kind: "sourceIp" });
}
