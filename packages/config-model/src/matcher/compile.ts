import { compileLinearRegex, type TLinearRegex } from "../linear-regex.ts";
import { buildRouteIndex } from "./route-index.ts";
import type { THashPolicy, THeaderMatcher, TQueryMatcher, TRetryPolicy, TRoute, TRouteConfig, TVirtualHost } from "../route.ts";
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

/**
 * Compiles a validated route config into the immutable table the matcher walks.
 * `bindCluster` turns a cluster name into whatever the caller routes to; it is called
 * once per reference here, never per request. Regexes are built here, anchored to the
 * whole value, as config-model documents ("whole-path regex").
 */
export function compileRouteTable<C>(rc: TRouteConfig, bindCluster: (name: string) => C): TCompiledRouteTable<C> {
  const exact = new Map<string, TCompiledVirtualHost<C>>();
  const suffixes: { suffix: string; vhost: TCompiledVirtualHost<C> }[] = [];
  const prefixes: { prefix: string; vhost: TCompiledVirtualHost<C> }[] = [];
  let any: TCompiledVirtualHost<C> | null = null;

  for (const vh of rc.virtualHosts) {
    const vhost = compileVirtualHost(vh, bindCluster);
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

  return Object.freeze({
    name: rc.name,
    exact,
    suffixes: Object.freeze(suffixes.map((s) => Object.freeze(s))),
    prefixes: Object.freeze(prefixes.map((p) => Object.freeze(p))),
    any,
    hostCache: new Map(),
  });
}

function compileVirtualHost<C>(vh: TVirtualHost, bindCluster: (name: string) => C): TCompiledVirtualHost<C> {
  const vhReq = compileHeaderMutation(vh.requestHeaders);
  const vhRes = compileHeaderMutation(vh.responseHeaders);
  const routes = vh.routes.map((r) => compileRoute(r, vh.name, vh.rateLimit ?? null, vhReq, vhRes, bindCluster));
  return Object.freeze({
    name: vh.name,
    routes: Object.freeze(routes),
    index: buildRouteIndex(routes, vh.routes.map((r) => r.match.regex ?? null)),
    needsQuery: routes.some((r) => r.query.length > 0),
  });
}

function compileRoute<C>(
  r: TRoute,
  vhostName: string,
  vhRateLimit: string | null,
  vhReq: TCompiledHeaderMutation | null,
  vhRes: TCompiledHeaderMutation | null,
  bindCluster: (name: string) => C,
): TCompiledRoute<C> {
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
  const reqMutations = [compileHeaderMutation(r.requestHeaders), vhReq].filter((x): x is TCompiledHeaderMutation => x !== null);
  const resMutations = [compileHeaderMutation(r.responseHeaders), vhRes].filter((x): x is TCompiledHeaderMutation => x !== null);
  return Object.freeze({
    name: r.name,
    virtualHost: vhostName,
    pathKind,
    pathValue,
    caseSensitive,
    pathRegex,
    methods: m.methods ? new Set(m.methods) : null,
    headers: Object.freeze(m.headers.map((h) => compileValueMatcher(h, true))),
    query: Object.freeze(m.query.map((q) => compileValueMatcher(q, false))),
    action: compileAction(r, bindCluster),
    rateLimits: Object.freeze([vhRateLimit, r.route?.rateLimit ?? null].filter((x): x is string => x !== null)),
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
