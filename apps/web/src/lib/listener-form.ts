import {
  formatPath,
  ZCorsFilter,
  ZJwtAuthnFilter,
  ZListener,
  ZListenerAccessLog,
  ZListenerLimits,
  ZListenerTls,
  ZListenerTracing,
  ZPathNormalization,
  ZRbacRule,
  ZSniRouterFilter,
  type THttpFilter,
  type TNetworkFilter,
  type TListener,
  type TRbacPrincipal,
} from "@switchyard/config-model";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import type { z } from "zod";
import type { TFieldIssue } from "./issues.ts";
import { matcherRowsOf, matchersOf, type TMatcherRow } from "./route-form.ts";

export type TListenerInput = z.input<typeof ZListener>;

/**
 * Every default the form shows, read from the config-model schemas (a minimal object
 * parsed, so the schema fills them in) rather than written down a second time.
 */
export const LISTENER_DEFAULTS = {
  listener: ZListener.parse({ name: "x", port: 1, routeConfig: "x" }),
  tcpIdleTimeoutMs: ZListener.parse({ name: "x", port: 1, protocol: "tcp", tcp: { cluster: "x" } }).tcp!.idleTimeoutMs,
  tls: ZListenerTls.parse({ certificates: ["x"], clientValidation: { caSecret: "x" } }),
  limits: ZListenerLimits.parse({}),
  cors: ZCorsFilter.parse({ type: "cors", allowOrigins: ["*"] }),
  sniRouter: ZSniRouterFilter.parse({ type: "sniRouter" }),
  jwt: ZJwtAuthnFilter.parse({ type: "jwtAuthn", issuer: "x", jwks: { remote: { url: "https://x.test/" } } }),
  rbacRule: ZRbacRule.parse({ allow: true }),
  tracing: ZListenerTracing.parse({}),
  accessLog: ZListenerAccessLog.parse({}),
  pathNormalization: ZPathNormalization.parse({}),
};

/** escapedSlashes choices, in the schema's order. */
export const ESCAPED_SLASH_ACTIONS = ZPathNormalization.shape.escapedSlashes.unwrap().options;

/**
 * The limits the form edits: every key of ZListenerLimits (a limit added to the schema
 * shows up in the form with its default, under its key until it gets a label here).
 */
export const LIMIT_KEYS = Object.keys(ZListenerLimits.shape) as (keyof typeof LISTENER_DEFAULTS.limits)[];
export const LIMIT_LABELS: Record<string, string> = {
  maxHeaderBytes: "Max request head (bytes)",
  headersTimeoutMs: "Head timeout (ms)",
  requestTimeoutMs: "Request timeout (ms)",
  idleTimeoutMs: "Keep-alive idle timeout (ms)",
  maxConnections: "Max connections",
  maxHeadersCount: "Max header fields",
  maxRequestBodyBytes: "Max request body (bytes)",
  maxConcurrentStreams: "Max HTTP/2 streams per connection",
};

/** What an absent optional limit means (these have no schema default; the proxy applies them). */
export const LIMIT_UNSET: Record<string, string> = {
  maxHeadersCount: "100",
  maxRequestBodyBytes: "none (unlimited)",
  maxConcurrentStreams: "100",
};

let nextKey = 1;
const key = () => nextKey++;

export type TPrincipalRow = { key: number; kind: "any" | "sourceIp" | "san" | "jwtClaim"; value: string; claim: string };
export type TRbacRuleRow = { key: number; allow: boolean; principals: TPrincipalRow[]; /** comma-separated */ paths: string; methods: string[]; headers: TMatcherRow[] };
export type TClaimRow = { key: number; claim: string; header: string };
/** Every filter row: `name` is the filter's name in the chain ("" = its type), which routes' filterOverrides use. */
type TFilterRowBase = { key: number; name: string };
export type TCorsRow = TFilterRowBase & {
  type: "cors";
  /** comma-separated lists */
  allowOrigins: string;
  allowMethods: string;
  allowHeaders: string;
  exposeHeaders: string;
  allowCredentials: boolean;
  maxAgeSeconds: string;
};
export type TJwtRow = TFilterRowBase & {
  type: "jwtAuthn";
  issuer: string;
  audiences: string;
  jwksSource: "inline" | "remote";
  jwksInline: string;
  jwksUrl: string;
  jwksCacheDurationMs: string;
  forward: boolean;
  claimToHeaders: TClaimRow[];
  allowMissing: boolean;
};
export type TRbacRow = TFilterRowBase & { type: "rbac"; rules: TRbacRuleRow[] };
/**
 * Filters edited as YAML (their fields without type and name), checked by the same schema
 * as the rest of the form. A first example per type is filled in when one is added.
 */
export const YAML_FILTER_EXAMPLES = {
  extAuthz: "url: http://authz.internal:9000/check\ntimeoutMs: 200\nallowedHeaders: [cookie]\nallowedUpstreamHeaders: [x-user]\nfailOpen: false\n",
  compression: "algorithms: [zstd, br, gzip]\nminContentLength: 30\n",
  fault: "abort: { httpStatus: 503, percentage: 1 }\ndelay: { fixedDelayMs: 500, percentage: 5 }\nheaderControl: false\n",
  localReplies: 'mappers:\n  - match: { flags: [NR] }\n    body: "nothing at %PATH%"\nformat:\n  json: { code: "%RESPONSE_CODE%", flags: "%RESPONSE_FLAGS%", message: "%LOCAL_REPLY_BODY%" }\n',
  grpcWeb: "",
  bufferLimits: "maxRequestBytes: 1048576\n",
} as const;
export type TYamlFilterType = keyof typeof YAML_FILTER_EXAMPLES;
export const YAML_FILTER_TYPES = Object.keys(YAML_FILTER_EXAMPLES) as TYamlFilterType[];
export type TYamlFilterRow = TFilterRowBase & { type: TYamlFilterType; yaml: string };
const isYamlType = (t: string): t is TYamlFilterType => Object.hasOwn(YAML_FILTER_EXAMPLES, t);


/** A plugin entry; `config` is JSON text (the schema form, when the module's schema is known, edits it as an object). */
export type TPluginRow = TFilterRowBase & { type: "plugin"; module: string; version: string; timeoutMs: string; config: string };
/** A proxy-wasm filter: the wasmModule secret holding the module, and its plugin configuration text. */
export type TWasmRow = TFilterRowBase & { type: "wasm"; secret: string; config: string };
export type TFilterRow = TCorsRow | TJwtRow | TRbacRow | TPluginRow | TWasmRow | TYamlFilterRow;
export type TFilterType = TFilterRow["type"];

/** Network filters (tcp listeners): rbac by source address, and the SNI router. */
export type TSourceRuleRow = { key: number; allow: boolean; /** comma-separated CIDRs; "" = any address */ sourceIps: string };
export type TSniRouteRow = { key: number; name: string; /** comma-separated */ serverNames: string; cluster: string };
export type TNetworkRbacRow = TFilterRowBase & { type: "rbac"; rules: TSourceRuleRow[] };
export type TSniRouterRow = TFilterRowBase & { type: "sniRouter"; routes: TSniRouteRow[]; defaultCluster: string; helloTimeoutMs: string; maxHelloBytes: string };
export type TNetworkFilterRow = TNetworkRbacRow | TSniRouterRow;
export type TNetworkFilterType = TNetworkFilterRow["type"];

/** The listener form's state: strings as typed, converted once by buildListener. Covers every field of ZListener. */
export type TListenerForm = {
  name: string;
  address: string;
  port: string;
  protocol: TListener["protocol"];
  routeConfig: string;
  tcp: { cluster: string; idleTimeoutMs: string };
  /** tcp only (https always has TLS, http never). */
  tcpTls: boolean;
  tls: {
    /** Order matters: the first is the default certificate (no SNI match). */
    certificates: string[];
    minVersion: string;
    clientValidation: boolean;
    caSecret: string;
    required: boolean;
    /** comma-separated */
    allowedSans: string;
  };
  httpFilters: TFilterRow[];
  /** tcp only. */
  networkFilters: TNetworkFilterRow[];
  limits: Record<string, string>;
  /** Off = no `tracing` object (the defaults apply and the config's hash is unchanged). */
  tracingEnabled: boolean;
  tracing: { sampleRate: string; forceHeader: string };
  accessLogEnabled: boolean;
  /** format "" = JSON lines (the default). */
  accessLog: { format: string; sampleRate: string };
  /** Off = no `pathNormalization` object (all on: the defaults apply, the hash is unchanged). */
  pathNormalizationEnabled: boolean;
  pathNormalization: { normalize: boolean; mergeSlashes: boolean; escapedSlashes: string };
  /** "" = absent (0: the peer address is the client). */
  trustedHops: string;
  proxyProtocol: boolean;
};

export const principalRow = (kind: TPrincipalRow["kind"] = "sourceIp"): TPrincipalRow => ({ key: key(), kind, value: "", claim: "" });
export const rbacRuleRow = (): TRbacRuleRow => ({ key: key(), allow: true, principals: [], paths: "", methods: [], headers: [] });
export const claimRow = (): TClaimRow => ({ key: key(), claim: "", header: "" });

export function filterRow(type: TFilterType): TFilterRow {
  if (isYamlType(type)) return { key: key(), name: "", type, yaml: YAML_FILTER_EXAMPLES[type] };
  if (type === "cors") return { key: key(), name: "", type, allowOrigins: "", allowMethods: "", allowHeaders: "", exposeHeaders: "", allowCredentials: LISTENER_DEFAULTS.cors.allowCredentials, maxAgeSeconds: "" };
  if (type === "jwtAuthn")
    return {
      key: key(),
      name: "",
      type,
      issuer: "",
      audiences: "",
      jwksSource: "remote",
      jwksInline: "",
      jwksUrl: "",
      jwksCacheDurationMs: "",
      forward: LISTENER_DEFAULTS.jwt.forward,
      claimToHeaders: [],
      allowMissing: LISTENER_DEFAULTS.jwt.allowMissing,
    };
  if (type === "plugin") return { key: key(), name: "", type, module: "", version: "", timeoutMs: "", config: "{}" };
  if (type === "wasm") return { key: key(), name: "", type, secret: "", config: "" };
  return { key: key(), name: "", type, rules: [rbacRuleRow()] };
}

export const sourceRuleRow = (): TSourceRuleRow => ({ key: key(), allow: true, sourceIps: "" });
export const sniRouteRow = (): TSniRouteRow => ({ key: key(), name: "", serverNames: "", cluster: "" });

export function networkFilterRow(type: TNetworkFilterType): TNetworkFilterRow {
  if (type === "rbac") return { key: key(), name: "", type, rules: [sourceRuleRow()] };
  return { key: key(), name: "", type, routes: [sniRouteRow()], defaultCluster: "", helloTimeoutMs: "", maxHelloBytes: "" };
}

function networkFilterRowOf(f: TNetworkFilter): TNetworkFilterRow {
  if (f.type === "rbac")
    return {
      key: key(),
      name: f.name ?? "",
      type: "rbac",
      // An "any" principal makes the rule match every address: shown as no CIDRs.
      rules: f.rules.map((r) => ({ key: key(), allow: r.allow, sourceIps: r.principals.some((p) => "any" in p) ? "" : joined(r.principals.map((p) => ("sourceIp" in p ? p.sourceIp : ""))) })),
    };
  return {
    key: key(),
    name: f.name ?? "",
    type: "sniRouter",
    routes: f.routes.map((r) => ({ key: key(), name: r.name ?? "", serverNames: joined(r.serverNames), cluster: r.cluster })),
    defaultCluster: f.defaultCluster ?? "",
    helloTimeoutMs: String(f.helloTimeoutMs),
    maxHelloBytes: String(f.maxHelloBytes),
  };
}

function networkFilterOf(f: TNetworkFilterRow): unknown {
  if (f.type === "rbac") return { type: "rbac", name: text(f.name), rules: f.rules.map((r) => ({ allow: r.allow, principals: list(r.sourceIps).length ? list(r.sourceIps).map((sourceIp) => ({ sourceIp })) : undefined })) };
  return {
    type: "sniRouter",
    name: text(f.name),
    routes: f.routes.map((r) => ({ name: text(r.name), serverNames: list(r.serverNames), cluster: r.cluster.trim() })),
    defaultCluster: text(f.defaultCluster),
    helloTimeoutMs: num(f.helloTimeoutMs),
    maxHelloBytes: num(f.maxHelloBytes),
  };
}

export function emptyListenerForm(): TListenerForm {
  const d = LISTENER_DEFAULTS;
  return {
    name: "",
    address: "",
    port: "",
    protocol: d.listener.protocol,
    routeConfig: "",
    tcp: { cluster: "", idleTimeoutMs: "" },
    tcpTls: false,
    tls: { certificates: [], minVersion: d.tls.minVersion, clientValidation: false, caSecret: "", required: d.tls.clientValidation!.required, allowedSans: "" },
    httpFilters: [],
    networkFilters: [],
    limits: Object.fromEntries(LIMIT_KEYS.map((k) => [k, ""])),
    tracingEnabled: false,
    tracing: { sampleRate: "", forceHeader: "" },
    accessLogEnabled: false,
    accessLog: { format: "", sampleRate: "" },
    pathNormalizationEnabled: false,
    pathNormalization: { ...d.pathNormalization },
    trustedHops: "",
    proxyProtocol: false,
  };
}

const joined = (xs: readonly string[] | undefined) => (xs ?? []).join(", ");

function principalRowOf(p: TRbacPrincipal): TPrincipalRow {
  if ("any" in p) return { ...principalRow("any") };
  if ("sourceIp" in p) return { ...principalRow("sourceIp"), value: p.sourceIp };
  if ("san" in p) return { ...principalRow("san"), value: p.san };
  return { ...principalRow("jwtClaim"), claim: p.jwtClaim.name, value: p.jwtClaim.value };
}

function filterRowOf(f: THttpFilter): TFilterRow {
  if (f.type === "plugin")
    return { key: key(), name: f.name, type: "plugin", module: f.module, version: f.version ?? "", timeoutMs: String(f.timeoutMs), config: JSON.stringify(f.config ?? {}, null, 2) };
  if (f.type === "wasm") return { key: key(), name: f.name ?? "", type: "wasm", secret: f.module.secret, config: f.config };
  if (f.type !== "cors" && f.type !== "jwtAuthn" && f.type !== "rbac") {
    const { type, name, ...fields } = f;
    return { key: key(), name: name ?? "", type, yaml: Object.keys(fields).length ? toYaml(fields) : "" };
  }
  if (f.type === "cors")
    return {
      key: key(),
      name: f.name ?? "",
      type: "cors",
      allowOrigins: joined(f.allowOrigins),
      allowMethods: joined(f.allowMethods),
      allowHeaders: joined(f.allowHeaders),
      exposeHeaders: joined(f.exposeHeaders),
      allowCredentials: f.allowCredentials,
      maxAgeSeconds: String(f.maxAgeSeconds),
    };
  if (f.type === "jwtAuthn")
    return {
      key: key(),
      name: f.name ?? "",
      type: "jwtAuthn",
      issuer: f.issuer,
      audiences: joined(f.audiences),
      jwksSource: f.jwks.inline !== undefined ? "inline" : "remote",
      jwksInline: f.jwks.inline ?? "",
      jwksUrl: f.jwks.remote?.url ?? "",
      jwksCacheDurationMs: f.jwks.remote ? String(f.jwks.remote.cacheDurationMs) : "",
      forward: f.forward,
      claimToHeaders: f.claimToHeaders.map((c) => ({ key: key(), claim: c.claim, header: c.header })),
      allowMissing: f.allowMissing,
    };
  return {
    key: key(),
    name: f.name ?? "",
    type: "rbac",
    rules: f.rules.map((r) => ({
      key: key(),
      allow: r.allow,
      principals: r.principals.map(principalRowOf),
      paths: joined(r.paths),
      methods: [...r.methods],
      headers: matcherRowsOf(r.headers),
    })),
  };
}

/** The stored listener (defaults filled in) as the form shows it. */
export function listenerFormOf(l: TListener): TListenerForm {
  const empty = emptyListenerForm();
  const cv = l.tls?.clientValidation;
  return {
    name: l.name,
    address: l.address,
    port: String(l.port),
    protocol: l.protocol,
    routeConfig: l.routeConfig ?? "",
    tcp: l.tcp ? { cluster: l.tcp.cluster ?? "", idleTimeoutMs: String(l.tcp.idleTimeoutMs) } : empty.tcp,
    tcpTls: l.protocol === "tcp" && !!l.tls,
    tls: l.tls
      ? {
          certificates: [...l.tls.certificates],
          minVersion: l.tls.minVersion,
          clientValidation: !!cv,
          caSecret: cv?.caSecret ?? "",
          required: cv?.required ?? empty.tls.required,
          allowedSans: joined(cv?.allowedSans),
        }
      : empty.tls,
    httpFilters: l.httpFilters.map(filterRowOf),
    networkFilters: (l.networkFilters ?? []).map(networkFilterRowOf),
    limits: Object.fromEntries(LIMIT_KEYS.map((k) => [k, l.limits[k] === undefined ? "" : String(l.limits[k])])),
    tracingEnabled: !!l.tracing,
    tracing: l.tracing ? { sampleRate: String(l.tracing.sampleRate), forceHeader: l.tracing.forceHeader } : empty.tracing,
    accessLogEnabled: !!l.accessLog,
    accessLog: l.accessLog ? { format: l.accessLog.format ?? "", sampleRate: String(l.accessLog.sampleRate) } : empty.accessLog,
    pathNormalizationEnabled: !!l.pathNormalization,
    pathNormalization: l.pathNormalization ? { ...l.pathNormalization } : empty.pathNormalization,
    trustedHops: l.trustedHops === undefined ? "" : String(l.trustedHops),
    proxyProtocol: l.proxyProtocol === true,
  };
}

const text = (s: string) => (s.trim() === "" ? undefined : s.trim());
/** "" -> undefined (the schema's default applies); anything else is sent as typed, for zod to judge. */
const num = (s: string | undefined) => (s === undefined || s.trim() === "" ? undefined : Number(s));
const list = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
/** An empty list input means "the default" (schemas with a non-empty default: CORS methods). */
const listOrDefault = (s: string) => (list(s).length ? list(s) : undefined);

function principalOf(p: TPrincipalRow): TRbacPrincipal {
  if (p.kind === "any") return { any: true };
  if (p.kind === "jwtClaim") return { jwtClaim: { name: p.claim.trim(), value: p.value } };
  return { [p.kind]: p.value.trim() } as TRbacPrincipal;
}

/** A YAML filter row's fields; a YAML syntax error is reported by the schema as an unknown `yaml` key, next to the editor. */
export function yamlFilterFields(yaml: string): { fields: Record<string, unknown> } | { error: string } {
  try {
    const v: unknown = yaml.trim() === "" ? {} : parseYaml(yaml);
    if (v === null || typeof v !== "object" || Array.isArray(v)) return { error: "must be a YAML mapping of the filter's fields" };
    return { fields: v as Record<string, unknown> };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** JSON text as a value; text that does not parse is sent as the string it is (the plugin's schema refuses it with the path). */
export function jsonOrText(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}

function filterOf(f: TFilterRow): unknown {
  if (f.type === "plugin")
    return { type: "plugin", name: f.name.trim(), module: f.module.trim(), version: text(f.version), timeoutMs: num(f.timeoutMs), config: jsonOrText(f.config) };
  if (f.type === "wasm") return { type: "wasm", name: text(f.name), module: { secret: f.secret.trim() }, config: f.config };
  if (f.type !== "cors" && f.type !== "jwtAuthn" && f.type !== "rbac") {
    const parsed = yamlFilterFields(f.yaml);
    return "fields" in parsed ? { ...parsed.fields, type: f.type, name: text(f.name) } : { type: f.type, name: text(f.name), yaml: parsed.error };
  }
  if (f.type === "cors")
    return {
      type: "cors",
      name: text(f.name),
      allowOrigins: list(f.allowOrigins),
      allowMethods: listOrDefault(f.allowMethods),
      allowHeaders: list(f.allowHeaders),
      exposeHeaders: list(f.exposeHeaders),
      allowCredentials: f.allowCredentials,
      maxAgeSeconds: num(f.maxAgeSeconds),
    };
  if (f.type === "jwtAuthn")
    return {
      type: "jwtAuthn",
      name: text(f.name),
      issuer: f.issuer.trim(),
      audiences: list(f.audiences),
      jwks: f.jwksSource === "inline" ? { inline: f.jwksInline } : { remote: { url: f.jwksUrl.trim(), cacheDurationMs: num(f.jwksCacheDurationMs) } },
      forward: f.forward,
      claimToHeaders: f.claimToHeaders.map((c) => ({ claim: c.claim.trim(), header: c.header.trim() })),
      allowMissing: f.allowMissing,
    };
  return {
    type: "rbac",
    name: text(f.name),
    rules: f.rules.map((r) => ({
      allow: r.allow,
      // No principal rows = the schema's default (any principal).
      principals: r.principals.length ? r.principals.map(principalOf) : undefined,
      paths: list(r.paths),
      methods: r.methods,
      headers: matchersOf(r.headers),
    })),
  };
}

/** The listener sent to the server, built from the form alone (it covers every field of ZListener). */
export function buildListener(form: TListenerForm): TListenerInput {
  const p = form.protocol;
  const withTls = p === "https" || (p === "tcp" && form.tcpTls);
  const t = form.tls;
  return {
    name: form.name.trim(),
    address: text(form.address),
    port: num(form.port) as number,
    protocol: p,
    routeConfig: p === "tcp" ? undefined : text(form.routeConfig),
    tcp: p === "tcp" ? { cluster: text(form.tcp.cluster), idleTimeoutMs: num(form.tcp.idleTimeoutMs) } : undefined,
    tls: withTls
      ? {
          certificates: t.certificates,
          minVersion: t.minVersion,
          clientValidation: t.clientValidation ? { caSecret: t.caSecret.trim(), required: t.required, allowedSans: list(t.allowedSans) } : undefined,
        }
      : undefined,
    httpFilters: p === "tcp" ? [] : form.httpFilters.map(filterOf),
    // Absent (not []) when there are none, so listeners without them keep their hash.
    networkFilters: p === "tcp" && form.networkFilters.length ? form.networkFilters.map(networkFilterOf) : undefined,
    limits: Object.fromEntries(LIMIT_KEYS.map((k) => [k, num(form.limits[k])])),
    tracing: form.tracingEnabled ? { sampleRate: num(form.tracing.sampleRate), forceHeader: text(form.tracing.forceHeader) } : undefined,
    accessLog: form.accessLogEnabled ? { format: form.accessLog.format.trim() === "" ? undefined : form.accessLog.format, sampleRate: num(form.accessLog.sampleRate) } : undefined,
    pathNormalization: p !== "tcp" && form.pathNormalizationEnabled ? form.pathNormalization : undefined,
    trustedHops: p === "tcp" ? undefined : num(form.trustedHops),
    proxyProtocol: p !== "tcp" && form.proxyProtocol ? true : undefined,
  } as TListenerInput;
}

/** The browser's check with the server's schema (ZListener); paths relative to the listener. */
export function checkListener(listener: TListenerInput): TFieldIssue[] {
  const r = ZListener.safeParse(listener);
  if (r.success) return [];
  return r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message, field: formatPath(i.path) }));
}

/** Moves item `i` by `delta` places (filters run in list order). */
export function moved<T>(xs: readonly T[], i: number, delta: number): T[] {
  const j = i + delta;
  if (j < 0 || j >= xs.length) return [...xs];
  const out = [...xs];
  [out[i], out[j]] = [out[j]!, out[i]!];
  return out;
}
