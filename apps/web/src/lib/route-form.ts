import type { TRoute, ZRoute } from "@switchyard/config-model";
import type { z } from "zod";

export type TRouteInput = z.input<typeof ZRoute>;

/** The route form's state: strings as typed, converted once by buildRoute. */
export type TRouteForm = {
  routeConfig: string;
  virtualHost: string;
  /** Comma-separated; only sent when the virtual host is new. */
  domains: string;
  name: string;
  matchKind: "prefix" | "path" | "regex";
  matchValue: string;
  methods: string[];
  actionKind: "route" | "redirect" | "directResponse";
  cluster: string;
  prefixRewrite: string;
  hostRewrite: string;
  timeoutMs: string;
  pathRedirect: string;
  hostRedirect: string;
  responseCode: string;
  httpsRedirect: boolean;
  status: string;
  body: string;
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
    methods: [],
    actionKind: "route",
    cluster: defaults.cluster ?? "",
    prefixRewrite: "",
    hostRewrite: "",
    timeoutMs: "15000",
    pathRedirect: "",
    hostRedirect: "",
    responseCode: "301",
    httpsRedirect: false,
    status: "200",
    body: "",
  };
}

export function routeFormOf(place: { routeConfig: string; virtualHost: string; domains: string[] }, route: TRoute): TRouteForm {
  const m = route.match;
  const matchKind = m.path !== undefined ? "path" : m.regex !== undefined ? "regex" : "prefix";
  return {
    routeConfig: place.routeConfig,
    virtualHost: place.virtualHost,
    domains: place.domains.join(", "),
    name: route.name,
    matchKind,
    matchValue: m[matchKind] ?? "",
    methods: m.methods ?? [],
    actionKind: route.route ? "route" : route.redirect ? "redirect" : "directResponse",
    cluster: route.route?.cluster ?? "",
    prefixRewrite: route.route?.prefixRewrite ?? "",
    hostRewrite: route.route?.hostRewrite ?? "",
    timeoutMs: String(route.route?.timeoutMs ?? 15000),
    pathRedirect: route.redirect?.pathRedirect ?? "",
    hostRedirect: route.redirect?.hostRedirect ?? "",
    responseCode: String(route.redirect?.responseCode ?? 301),
    httpsRedirect: route.redirect?.httpsRedirect ?? false,
    status: String(route.directResponse?.status ?? 200),
    body: route.directResponse?.body ?? "",
  };
}

const text = (s: string) => (s.trim() === "" ? undefined : s.trim());
/** "" -> undefined (the default applies); anything else is sent as typed, for the server to judge. */
const num = (s: string) => (s.trim() === "" ? undefined : Number(s));

/**
 * The route object sent to the server. Fields the form has no input for (header
 * matchers, retries, mirrors, header mutations...) are kept from `base` when editing.
 */
export function buildRoute(form: TRouteForm, base?: TRoute): TRouteInput {
  const { prefix: _p, path: _pa, regex: _r, methods: _m, ...matchRest } = base?.match ?? {};
  const match = { ...matchRest, [form.matchKind]: form.matchValue, methods: form.methods.length ? form.methods : undefined };
  const route: Record<string, unknown> = {
    name: form.name.trim(),
    match,
    requestHeaders: base?.requestHeaders,
    responseHeaders: base?.responseHeaders,
  };
  if (form.actionKind === "route") {
    const keepWeighted = form.cluster === "" && base?.route?.weightedClusters;
    route.route = {
      ...base?.route,
      cluster: keepWeighted ? undefined : form.cluster,
      weightedClusters: keepWeighted ? base?.route?.weightedClusters : undefined,
      prefixRewrite: text(form.prefixRewrite),
      hostRewrite: text(form.hostRewrite),
      timeoutMs: num(form.timeoutMs),
    };
  } else if (form.actionKind === "redirect") {
    route.redirect = {
      ...base?.redirect,
      pathRedirect: text(form.pathRedirect),
      hostRedirect: text(form.hostRedirect),
      responseCode: num(form.responseCode),
      httpsRedirect: form.httpsRedirect,
    };
  } else {
    route.directResponse = { ...base?.directResponse, status: num(form.status), body: form.body };
  }
  return route as TRouteInput;
}

export function domainsOf(form: TRouteForm): string[] {
  return form.domains
    .split(",")
    .map((d) => d.trim())
    .filter(Boolean);
}
