import {
  formatPath,
  ZDirectResponse,
  ZRedirectAction,
  ZRetryOn,
  ZRetryPolicy,
  ZRoute,
  ZRouteAction,
  ZRouteMatch,
  type TRoute,
} from "@switchyard/config-model";
import type { z } from "zod";
import { buildOverrides, overridesFormOf, type TOverridesForm } from "./filter-overrides-form.ts";
import type { TFieldIssue } from "./issues.ts";

export type TRouteInput = z.input<typeof ZRoute>;

/**
 * Every default the form shows, taken from the config-model schemas themselves (parse a
 * minimal object, read what the schema filled in) so they are never written down twice.
 */
export const ROUTE_DEFAULTS = {
  match: ZRouteMatch.parse({ prefix: "/" }),
  action: ZRouteAction.parse({ cluster: "x", mirror: [{ cluster: "x" }] }),
  retry: ZRetryPolicy.parse({ retryOn: ["5xx"] }),
  redirect: ZRedirectAction.parse({}),
  direct: ZDirectResponse.parse({ status: 200 }),
};
export const MIRROR_FRACTION_DEFAULT = ROUTE_DEFAULTS.action.mirror[0]!.fraction;
export const RETRY_ON = ZRetryOn.options;

let nextKey = 1;
const key = () => nextKey++;

export type TMatcherKind = "exact" | "prefix" | "regex" | "present";
export type TMatcherRow = { key: number; name: string; kind: TMatcherKind; value: string; invert: boolean };
export type TWeightedRow = { key: number; cluster: string; weight: string };
export type TMirrorRow = { key: number; cluster: string; fraction: string };
export type THashRow = { key: number; kind: "header" | "cookie" | "sourceIp"; value: string };
export type THeaderAddRow = { key: number; name: string; value: string; append: boolean };
export type THeaderMutationForm = { add: THeaderAddRow[]; /** comma-separated header names */ remove: string };

export const matcherRow = (): TMatcherRow => ({ key: key(), name: "", kind: "exact", value: "", invert: false });
export const weightedRow = (cluster = "", weight = "1"): TWeightedRow => ({ key: key(), cluster, weight });
export const mirrorRow = (cluster = ""): TMirrorRow => ({ key: key(), cluster, fraction: "" });
export const hashRow = (): THashRow => ({ key: key(), kind: "header", value: "" });
export const headerAddRow = (): THeaderAddRow => ({ key: key(), name: "", value: "", append: false });

/** The route form's state: strings as typed, converted once by buildRoute. Covers every field of ZRoute. */
export type TRouteForm = {
  routeConfig: string;
  virtualHost: string;
  /** Comma-separated; only sent when the virtual host is new. */
  domains: string;
  name: string;
  matchKind: "prefix" | "path" | "regex";
  matchValue: string;
  caseSensitive: boolean;
  methods: string[];
  headers: TMatcherRow[];
  query: TMatcherRow[];
  actionKind: "route" | "redirect" | "directResponse";
  clusterMode: "single" | "weighted";
  cluster: string;
  weighted: TWeightedRow[];
  prefixRewrite: string;
  hostRewrite: string;
  timeoutMs: string;
  idleTimeoutMs: string;
  allowUpgrade: boolean;
  upgradeIdleTimeoutMs: string;
  retryEnabled: boolean;
  retryOn: string[];
  numRetries: string;
  perTryTimeoutMs: string;
  backoffBaseMs: string;
  backoffMaxMs: string;
  /** comma-separated */
  retriableStatusCodes: string;
  maxBufferBytes: string;
  mirror: TMirrorRow[];
  hashPolicy: THashRow[];
  rateLimit: string;
  pathRedirect: string;
  hostRedirect: string;
  portRedirect: string;
  redirectPrefixRewrite: string;
  responseCode: string;
  httpsRedirect: boolean;
  stripQuery: boolean;
  status: string;
  body: string;
  contentType: string;
  requestHeaders: THeaderMutationForm;
  responseHeaders: THeaderMutationForm;
  /** Per listener filter (by name): inherit, disable or replace its config. */
  filterOverrides: TOverridesForm;
};

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

export function emptyRouteForm(defaults: { routeConfig?: string; virtualHost?: string; cluster?: string } = {}): TRouteForm {
  return {
    routeConfig: defaults.routeConfig ?? "main",
    virtualHost: defaults.virtualHost ?? "default",
    domains: "*",
    name: "",
    matchKind: "prefix",
    matchValue: "/",
    caseSensitive: ROUTE_DEFAULTS.match.caseSensitive,
    methods: [],
    headers: [],
    query: [],
    actionKind: "route",
    clusterMode: "single",
    cluster: defaults.cluster ?? "",
    weighted: [],
    prefixRewrite: "",
    hostRewrite: "",
    timeoutMs: "",
    idleTimeoutMs: "",
    allowUpgrade: ROUTE_DEFAULTS.action.allowUpgrade,
    upgradeIdleTimeoutMs: "",
    retryEnabled: false,
    retryOn: ["5xx"],
    numRetries: "",
    perTryTimeoutMs: "",
    backoffBaseMs: "",
    backoffMaxMs: "",
    retriableStatusCodes: "",
    maxBufferBytes: "",
    mirror: [],
    hashPolicy: [],
    rateLimit: "",
    pathRedirect: "",
    hostRedirect: "",
    portRedirect: "",
    redirectPrefixRewrite: "",
    responseCode: String(ROUTE_DEFAULTS.redirect.responseCode),
    httpsRedirect: ROUTE_DEFAULTS.redirect.httpsRedirect,
    stripQuery: ROUTE_DEFAULTS.redirect.stripQuery,
    status: "200",
    body: "",
    contentType: "",
    requestHeaders: { add: [], remove: "" },
    responseHeaders: { add: [], remove: "" },
    filterOverrides: {},
  };
}

const str = (n: number | undefined) => (n === undefined ? "" : String(n));

/** Header / query matchers -> form rows (the listener form's RBAC rules use them too). */
export function matcherRowsOf(ms: readonly { name: string; exact?: string; prefix?: string; regex?: string; present?: boolean; invert?: boolean }[]): TMatcherRow[] {
  return ms.map((m) => {
    const kind: TMatcherKind = m.exact !== undefined ? "exact" : m.prefix !== undefined ? "prefix" : m.regex !== undefined ? "regex" : "present";
    return { key: key(), name: m.name, kind, value: kind === "present" ? "" : (m[kind] ?? ""), invert: m.invert ?? false };
  });
}

/** A header mutation -> form rows (routes and virtual hosts). */
export function mutationFormOf(m: TRoute["requestHeaders"]): THeaderMutationForm {
  return { add: (m?.add ?? []).map((a) => ({ key: key(), name: a.name, value: a.value, append: a.append })), remove: (m?.remove ?? []).join(", ") };
}

export function routeFormOf(place: { routeConfig: string; virtualHost: string; domains: string[] }, route: TRoute): TRouteForm {
  const m = route.match;
  const matchKind = m.path !== undefined ? "path" : m.regex !== undefined ? "regex" : "prefix";
  const a = route.route;
  const form = emptyRouteForm({ routeConfig: place.routeConfig, virtualHost: place.virtualHost });
  return {
    ...form,
    domains: place.domains.join(", "),
    name: route.name,
    matchKind,
    matchValue: m[matchKind] ?? "",
    caseSensitive: m.caseSensitive,
    methods: m.methods ?? [],
    headers: matcherRowsOf(m.headers),
    query: matcherRowsOf(m.query),
    actionKind: route.route ? "route" : route.redirect ? "redirect" : "directResponse",
    clusterMode: a?.weightedClusters ? "weighted" : "single",
    cluster: a?.cluster ?? "",
    weighted: (a?.weightedClusters ?? []).map((w) => weightedRow(w.cluster, String(w.weight))),
    prefixRewrite: a?.prefixRewrite ?? "",
    hostRewrite: a?.hostRewrite ?? "",
    timeoutMs: str(a?.timeoutMs),
    idleTimeoutMs: str(a?.idleTimeoutMs),
    allowUpgrade: a?.allowUpgrade ?? false,
    upgradeIdleTimeoutMs: str(a?.upgradeIdleTimeoutMs),
    retryEnabled: !!a?.retryPolicy,
    retryOn: a?.retryPolicy?.retryOn ?? ["5xx"],
    numRetries: str(a?.retryPolicy?.numRetries),
    perTryTimeoutMs: str(a?.retryPolicy?.perTryTimeoutMs),
    backoffBaseMs: str(a?.retryPolicy?.backoff.baseMs),
    backoffMaxMs: str(a?.retryPolicy?.backoff.maxMs),
    retriableStatusCodes: (a?.retryPolicy?.retriableStatusCodes ?? []).join(", "),
    maxBufferBytes: str(a?.retryPolicy?.maxBufferBytes),
    mirror: (a?.mirror ?? []).map((x) => ({ key: key(), cluster: x.cluster, fraction: String(x.fraction) })),
    hashPolicy: (a?.hashPolicy ?? []).map((h) =>
      "header" in h ? { key: key(), kind: "header" as const, value: h.header } : "cookie" in h ? { key: key(), kind: "cookie" as const, value: h.cookie } : { key: key(), kind: "sourceIp" as const, value: "" },
    ),
    rateLimit: a?.rateLimit ?? "",
    pathRedirect: route.redirect?.pathRedirect ?? "",
    hostRedirect: route.redirect?.hostRedirect ?? "",
    portRedirect: str(route.redirect?.portRedirect),
    redirectPrefixRewrite: route.redirect?.prefixRewrite ?? "",
    responseCode: String(route.redirect?.responseCode ?? ROUTE_DEFAULTS.redirect.responseCode),
    httpsRedirect: route.redirect?.httpsRedirect ?? false,
    stripQuery: route.redirect?.stripQuery ?? false,
    status: str(route.directResponse?.status) || "200",
    body: route.directResponse?.body ?? "",
    contentType: route.directResponse?.contentType ?? "",
    requestHeaders: mutationFormOf(route.requestHeaders),
    responseHeaders: mutationFormOf(route.responseHeaders),
    filterOverrides: overridesFormOf(route.filterOverrides),
  };
}

const text = (s: string) => (s.trim() === "" ? undefined : s.trim());
/** "" -> undefined (the schema's default applies); anything else is sent as typed, for zod to judge. */
const num = (s: string) => (s.trim() === "" ? undefined : Number(s));
const list = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

/** Form rows -> header / query matchers (inverse of matcherRowsOf). */
export function matchersOf(rows: TMatcherRow[]) {
  return rows.map((r) => ({ name: r.name.trim(), [r.kind]: r.kind === "present" ? true : r.value, invert: r.invert }));
}

/** Form rows -> a header mutation; undefined when empty (routes and virtual hosts). */
export function mutationOf(m: THeaderMutationForm) {
  if (m.add.length === 0 && list(m.remove).length === 0) return undefined;
  return { add: m.add.map((a) => ({ name: a.name.trim(), value: a.value, append: a.append })), remove: list(m.remove) };
}

/** The route object sent to the server: built from the form alone (it covers every field). */
export function buildRoute(form: TRouteForm): TRouteInput {
  const match = {
    [form.matchKind]: form.matchValue,
    caseSensitive: form.caseSensitive,
    methods: form.methods.length ? form.methods : undefined,
    headers: matchersOf(form.headers),
    query: matchersOf(form.query),
  };
  const route: Record<string, unknown> = {
    name: form.name.trim(),
    match,
    requestHeaders: mutationOf(form.requestHeaders),
    responseHeaders: mutationOf(form.responseHeaders),
    filterOverrides: buildOverrides(form.filterOverrides),
  };
  if (form.actionKind === "route") {
    route.route = {
      ...(form.clusterMode === "single"
        ? { cluster: form.cluster }
        : { weightedClusters: form.weighted.map((w) => ({ cluster: w.cluster, weight: num(w.weight) })) }),
      prefixRewrite: text(form.prefixRewrite),
      hostRewrite: text(form.hostRewrite),
      timeoutMs: num(form.timeoutMs),
      idleTimeoutMs: num(form.idleTimeoutMs),
      allowUpgrade: form.allowUpgrade,
      upgradeIdleTimeoutMs: num(form.upgradeIdleTimeoutMs),
      retryPolicy: form.retryEnabled
        ? {
            retryOn: form.retryOn,
            numRetries: num(form.numRetries),
            perTryTimeoutMs: num(form.perTryTimeoutMs),
            backoff: { baseMs: num(form.backoffBaseMs), maxMs: num(form.backoffMaxMs) },
            retriableStatusCodes: list(form.retriableStatusCodes).map(Number),
            maxBufferBytes: num(form.maxBufferBytes),
          }
        : undefined,
      mirror: form.mirror.map((m) => ({ cluster: m.cluster, fraction: num(m.fraction) })),
      hashPolicy: form.hashPolicy.map((h) => (h.kind === "sourceIp" ? { sourceIp: true } : { [h.kind]: h.value.trim() })),
      rateLimit: text(form.rateLimit),
    };
  } else if (form.actionKind === "redirect") {
    route.redirect = {
      pathRedirect: text(form.pathRedirect),
      hostRedirect: text(form.hostRedirect),
      portRedirect: num(form.portRedirect),
      prefixRewrite: text(form.redirectPrefixRewrite),
      responseCode: num(form.responseCode),
      httpsRedirect: form.httpsRedirect,
      stripQuery: form.stripQuery,
    };
  } else {
    route.directResponse = { status: num(form.status), body: form.body, contentType: text(form.contentType) };
  }
  return route as TRouteInput;
}

/**
 * The browser's check, with the schema the server uses (ZRoute): issues with their path
 * relative to the route, the same shape the server's come back in. Whole-config checks
 * (unknown clusters, regexes that do not compile) stay on the server.
 */
export function checkRoute(route: TRouteInput): TFieldIssue[] {
  const r = ZRoute.safeParse(route);
  if (r.success) return [];
  return r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message, field: formatPath(i.path) }));
}

export function domainsOf(form: TRouteForm): string[] {
  return form.domains
    .split(",")
    .map((d) => d.trim())
    .filter(Boolean);
}
