import { z } from "zod";
import { ZDurationMs, ZHttpHeaderName, ZHttpMethod, ZName, ZPort, exactlyOneOf } from "./common.ts";
import { ZBufferLimitsFilter, ZCompressionFilter, ZExtAuthzFilter, ZFaultFilter, ZGrpcWebFilter, ZLocalRepliesFilter } from "./builtin-filters.ts";
import { ZPluginFilter } from "./filters/plugin.ts";
import { networkFilterName, ZNetworkFilter } from "./network-filter.ts";
import { ZHeaderMatcher } from "./route.ts";
import { ZWasmFilter } from "./filters/wasm.ts";

/** CORS: answer preflights locally and add the CORS response headers. */
/**
 * `name`: unique in the chain; routes disable or reconfigure the filter by it
 * (`filterOverrides`). Default: the filter's type.
 */
const ZFilterName = ZName.optional();

export const ZCorsFilter = z.strictObject({
  type: z.literal("cors"),
  name: ZFilterName,
  /** Exact origins, or "*" for any. */
  allowOrigins: z.array(z.string().min(1)).min(1, "list at least one origin"),
  /** Default: GET, HEAD, POST. */
  allowMethods: z.array(ZHttpMethod).default(["GET", "HEAD", "POST"]),
  allowHeaders: z.array(ZHttpHeaderName).default([]),
  exposeHeaders: z.array(ZHttpHeaderName).default([]),
  allowCredentials: z.boolean().default(false),
  /** Access-Control-Max-Age in seconds; default 600. */
  maxAgeSeconds: z.number().int().min(0).default(600),
});

const ZJwks = z
  .strictObject({
    /** A JWKS document as JSON text. */
    inline: z.string().min(1).optional(),
    /** Fetched, cached for cacheDurationMs (default 300000) and refreshed. */
    remote: z
      .strictObject({ url: z.url(), cacheDurationMs: ZDurationMs.default(300_000) })
      .optional(),
  })
  .superRefine(exactlyOneOf(["inline", "remote"]));

/** JWT authentication: verifies `Authorization: Bearer` tokens. */
export const ZJwtAuthnFilter = z.strictObject({
  type: z.literal("jwtAuthn"),
  name: ZFilterName,
  issuer: z.string().min(1),
  audiences: z.array(z.string().min(1)).default([]),
  jwks: ZJwks,
  /** Keep the Authorization header on the upstream request; default false. */
  forward: z.boolean().default(false),
  /** Claims copied to upstream request headers. */
  claimToHeaders: z.array(z.strictObject({ claim: z.string().min(1), header: ZHttpHeaderName })).default([]),
  /** When false (default) a request without a token is refused with 401. */
  allowMissing: z.boolean().default(false),
});

export const ZRbacPrincipal = z.union([
  z.strictObject({ any: z.literal(true) }),
  /** CIDR such as 10.0.0.0/8 or ::1/128. */
  z.strictObject({ sourceIp: z.string().min(1) }),
  /** Exact URI or DNS SAN of a verified client certificate. */
  z.strictObject({ san: z.string().min(1) }),
  z.strictObject({ jwtClaim: z.strictObject({ name: z.string().min(1), value: z.string() }) }),
]);

export const ZRbacRule = z.strictObject({
  /** true = allow when matched, false = deny when matched. */
  allow: z.boolean(),
  /** Default: any principal. */
  principals: z.array(ZRbacPrincipal).default([{ any: true }]),
  /** Path prefixes; default: every path. */
  paths: z.array(z.string().startsWith("/", "must start with '/'")).default([]),
  /** Default: every method. */
  methods: z.array(ZHttpMethod).default([]),
  /** Request header matchers (as in route match), all must match; default none. */
  headers: z.array(ZHeaderMatcher).default([]),
});

/** RBAC: the first matching rule decides; no match = deny (403 + RBAC flag). */
export const ZRbacFilter = z.strictObject({
  type: z.literal("rbac"),
  name: ZFilterName,
  rules: z.array(ZRbacRule).min(1, "list at least one rule"),
});

export const ZHttpFilter = z.discriminatedUnion("type", [ZCorsFilter, ZJwtAuthnFilter, ZRbacFilter, ZPluginFilter, ZWasmFilter, ZExtAuthzFilter, ZCompressionFilter, ZFaultFilter, ZLocalRepliesFilter, ZGrpcWebFilter, ZBufferLimitsFilter]);

/** A filter's name in its chain: `name`, else its type. */
export function httpFilterName(f: { readonly type: string; readonly name?: string | undefined }): string {
  return f.name ?? f.type;
}

export const ZListenerTls = z.strictObject({
  /** tlsCertificate secrets, picked by SNI; the first is the default. */
  certificates: z.array(ZName).min(1, "list at least one certificate secret"),
  /** Lowest TLS version accepted; default TLSv1.2. */
  minVersion: z.enum(["TLSv1.2", "TLSv1.3"]).default("TLSv1.2"),
  clientValidation: z
    .strictObject({
      caSecret: ZName,
      /** Refuse clients without a valid certificate; default true. */
      required: z.boolean().default(true),
      /** URI or DNS SANs accepted; empty = any certificate signed by the CA. */
      allowedSans: z.array(z.string().min(1)).default([]),
    })
    .optional(),
});

export const ZListenerLimits = z.strictObject({
  /** Largest request head accepted (431 beyond); default 65536. */
  maxHeaderBytes: z.number().int().min(1024).max(1_048_576).default(65_536),
  /** Time to receive the request head; default 10000 (Node's headersTimeout is 60000). */
  headersTimeoutMs: ZDurationMs.default(10_000),
  /** Time to receive the whole request; default 300000; 0 = none. */
  requestTimeoutMs: ZDurationMs.default(300_000),
  /** Idle keep-alive connection lifetime; default 3600000. */
  idleTimeoutMs: ZDurationMs.default(3_600_000),
  /** Connections beyond this are closed at once; default 10000. */
  maxConnections: z.number().int().min(1).default(10_000),
  /**
   * Most header fields in one HTTP/1.1 request head; more get 431 (Envoy's
   * max_headers_count). Default 100 when absent (applied by the proxy).
   */
  maxHeadersCount: z.number().int().min(1).max(10_000).optional(),
  /**
   * Largest request body accepted; beyond it the request gets 413 (by Content-Length up
   * front, or as the bytes of a chunked / HTTP/2 body arrive). Default: none (unlimited).
   */
  maxRequestBodyBytes: z.number().int().min(0).optional(),
  /**
   * HTTP/2 (h2, h2c): SETTINGS_MAX_CONCURRENT_STREAMS, the streams one connection may have
   * open at once (more are refused with REFUSED_STREAM). Default 100 when absent (Envoy's
   * edge recommendation; Node's own default is 2^32-1).
   */
  maxConcurrentStreams: z.number().int().min(1).max(2_147_483_647).optional(),
});

/**
 * Tracing on a listener (DESIGN §4). Optional: a listener without it traces with the
 * defaults below, so existing configs keep their canonical hash.
 */
export const ZListenerTracing = z.strictObject({
  /**
   * Head-sampling probability for requests that arrive WITHOUT a sampling decision
   * (no sampled traceparent / B3 flag); decided once per request. Default 0.01 (1 %):
   * unlike Envoy (100 % once a tracer is set) every managed node always has a span sink
   * (the console), and recording + exporting every request measurably costs throughput.
   * An upstream decision carried in traceparent/B3 wins; the force header always traces.
   */
  sampleRate: z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").default(0.01),
  /** A request carrying this header (any value) is always traced; default "x-switchyard-force-trace" (Envoy: x-envoy-force-trace). */
  forceHeader: ZHttpHeaderName.default("x-switchyard-force-trace"),
  /**
   * Client addresses (CIDRs, e.g. 10.0.0.0/8) whose sampling decision is honoured: the
   * force header and a sampled / not-sampled traceparent or B3 flag. Default none: any
   * client could otherwise have every request traced (spans stored by the console), so a
   * client's decision is ignored and sampleRate decides; trace ids still join. List the
   * services (or the balancer) in front that trace on purpose.
   */
  trustedSources: z.array(z.string()).max(256).optional(),
  /**
   * Requests per second a listener traces on a client's decision (force header or sampled
   * flag from trustedSources); beyond it, sampleRate decides. Default 10 (per worker).
   */
  clientSampledPerSecond: z.number().min(0).optional(),
});

/** Placeholders an access-log format may use (see ZListenerAccessLog.format). */
export const ACCESS_LOG_FIELDS: readonly string[] = [
  "TIME", "METHOD", "AUTHORITY", "PATH", "STATUS", "RESPONSE_FLAGS", "DURATION_MS", "UPSTREAM_HOST",
  "BYTES_IN", "BYTES_OUT", "REQUEST_ID", "TRACE_ID", "LISTENER", "ROUTE", "CLUSTER",
  "CLIENT_ADDRESS", "USER_AGENT", "PROTOCOL",
];

/** Access log on a listener. Optional: without it every request is logged as JSON. */
export const ZListenerAccessLog = z.strictObject({
  /**
   * Absent (default) = one JSON object per request with the DESIGN §4 fields. Otherwise a
   * text template with Envoy-style %FIELD% placeholders, e.g. "%METHOD% %PATH% %STATUS%
   * %DURATION_MS%" (fields: TIME METHOD AUTHORITY PATH STATUS RESPONSE_FLAGS DURATION_MS
   * UPSTREAM_HOST BYTES_IN BYTES_OUT REQUEST_ID TRACE_ID LISTENER ROUTE CLUSTER
   * CLIENT_ADDRESS USER_AGENT PROTOCOL).
   */
  format: z
    .string()
    .min(1, "must not be empty")
    .refine((f) => [...f.matchAll(/%([A-Z_]+)%/g)].every((m) => ACCESS_LOG_FIELDS.includes(m[1] as string)), {
      message: `unknown %FIELD%; known: ${ACCESS_LOG_FIELDS.join(" ")}`,
    })
    .optional(),
  /** Fraction of requests logged, decided once per request; default 1.0 (every request). */
  sampleRate: z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").default(1),
});

/**
 * Path normalisation on a listener (DESIGN §3). Optional: absent means the defaults below
 * (all on), so existing configs keep their canonical hash. Routing, every filter,
 * rate-limit keys, the access log and the upstream all see the normalised path; a target
 * that cannot be read one way only (bad or NUL percent escapes, invalid UTF-8, dot
 * segments with parameters such as `/..;/`, fragments) is refused with 400 whatever the
 * switches say.
 */
export const ZPathNormalization = z.strictObject({
  /**
   * RFC 3986 §6.2.2: percent-decode unreserved characters, upper-case the other escapes,
   * remove dot segments (§5.2.4), read `\` as `/` (Envoy's normalize_path); default true.
   */
  normalize: z.boolean().default(true),
  /** Collapse runs of `/` into one (Envoy's merge_slashes); default true. */
  mergeSlashes: z.boolean().default(true),
  /**
   * Escaped slashes `%2F` / `%5C` in the path: keep (forward as they are) | reject (400) |
   * redirect (307 to the path with them unescaped, so every hop reads one path; gRPC
   * requests are refused instead) | unescape (forward unescaped). Default redirect.
   */
  escapedSlashes: z.enum(["keep", "reject", "redirect", "unescape"]).default("redirect"),
});

export const ZListener = z
  .strictObject({
    name: ZName,
    /** Bind address; default 0.0.0.0. */
    address: z.string().min(1).default("0.0.0.0"),
    port: ZPort,
    /** http (HTTP/1.1 + h2c prior knowledge) | https (TLS, ALPN h2,http/1.1) | tcp. Default http. */
    protocol: z.enum(["http", "https", "tcp"]).default("http"),
    /** Route config serving http/https listeners. */
    routeConfig: ZName.optional(),
    /**
     * tcp listeners: the tcp proxy, the terminal of the network filter chain. `cluster`: where
     * every connection goes (required, unless a sniRouter network filter picks the cluster).
     */
    tcp: z.strictObject({ cluster: ZName.optional(), idleTimeoutMs: ZDurationMs.default(3_600_000) }).optional(),
    tls: ZListenerTls.optional(),
    /** Ordered; the router always runs last. */
    httpFilters: z.array(ZHttpFilter).default([]),
    /** tcp listeners: network filters, in order, before the tcp proxy (network-filter.ts). Default none. */
    networkFilters: z.array(ZNetworkFilter).optional(),
    limits: ZListenerLimits.default(ZListenerLimits.parse({})),
    /** Tracing; default sampleRate 0.01, forceHeader x-switchyard-force-trace. */
    tracing: ZListenerTracing.optional(),
    /** Access log; default JSON lines, every request. */
    accessLog: ZListenerAccessLog.optional(),
    /** http/https: path normalisation; default on (normalize, mergeSlashes, escapedSlashes: redirect). */
    pathNormalization: ZPathNormalization.optional(),
    /**
     * http/https: how many `x-forwarded-for` entries (from the right) come from proxies you
     * trust; the entry left of them is the client address (RBAC sourceIp, hashPolicy
     * sourceIp, remoteAddress rate-limit keys, access log, spans). Default 0: the peer
     * address is the client and x-forwarded-for is never believed. With fewer entries than
     * that, the peer address is used.
     */
    trustedHops: z.number().int().min(0).max(32).optional(),
    /**
     * http/https: accept the PROXY protocol (v1 text or v2 binary) from a balancer in front: every
     * connection must start with its header, whose source address becomes the peer
     * address (LOCAL / UNKNOWN keep the socket's). Default false.
     */
    proxyProtocol: z.boolean().optional(),
  })
  .superRefine((l, ctx) => {
    if (l.protocol === "tcp") {
      if (!l.tcp) ctx.addIssue({ code: "custom", path: ["tcp"], message: "required when protocol is tcp" });
      if (l.routeConfig) ctx.addIssue({ code: "custom", path: ["routeConfig"], message: "not allowed when protocol is tcp" });
      if (l.httpFilters.length) ctx.addIssue({ code: "custom", path: ["httpFilters"], message: "not allowed when protocol is tcp" });
      checkNetworkFilters(l, ctx);
    } else {
      if (l.networkFilters?.length) ctx.addIssue({ code: "custom", path: ["networkFilters"], message: "only allowed when protocol is tcp (http and https listeners have httpFilters)" });
      if (!l.routeConfig) ctx.addIssue({ code: "custom", path: ["routeConfig"], message: `required when protocol is ${l.protocol}` });
      if (l.tcp) ctx.addIssue({ code: "custom", path: ["tcp"], message: "only allowed when protocol is tcp" });
    }
    if (l.protocol === "tcp" && l.pathNormalization) ctx.addIssue({ code: "custom", path: ["pathNormalization"], message: "not allowed when protocol is tcp" });
    if (l.protocol === "tcp" && l.trustedHops !== undefined) ctx.addIssue({ code: "custom", path: ["trustedHops"], message: "not allowed when protocol is tcp" });
    if (l.protocol === "tcp" && l.proxyProtocol) ctx.addIssue({ code: "custom", path: ["proxyProtocol"], message: "not supported when protocol is tcp" });
    if (l.protocol === "https" && !l.tls) ctx.addIssue({ code: "custom", path: ["tls"], message: "required when protocol is https" });
    if (l.protocol === "http" && l.tls) ctx.addIssue({ code: "custom", path: ["tls"], message: "not allowed when protocol is http (use https)" });
  });

/** A tcp listener's network filter chain against its tcp proxy: who picks the cluster, and names unique. */
function checkNetworkFilters(
  l: { tcp?: { cluster?: string | undefined } | undefined; tls?: unknown; networkFilters?: readonly { type: string; name?: string | undefined }[] | undefined },
  ctx: z.RefinementCtx,
): void {
  const filters = l.networkFilters ?? [];
  const seen = new Map<string, number>();
  let router = -1;
  filters.forEach((f, j) => {
    const name = networkFilterName(f);
    const first = seen.get(name);
    if (first !== undefined) ctx.addIssue({ code: "custom", path: ["networkFilters", j, "name"], message: `duplicate filter name "${name}" (also networkFilters[${first}]); set name` });
    else seen.set(name, j);
    if (f.type !== "sniRouter") return;
    if (router >= 0) ctx.addIssue({ code: "custom", path: ["networkFilters", j], message: `only one sniRouter per listener (also networkFilters[${router}])` });
    else router = j;
    if (l.tls) ctx.addIssue({ code: "custom", path: ["networkFilters", j], message: "a sniRouter passes TLS through: remove the listener's tls (with tls the listener terminates TLS itself)" });
  });
  if (!l.tcp) return;
  if (router < 0 && l.tcp.cluster === undefined) ctx.addIssue({ code: "custom", path: ["tcp", "cluster"], message: "required (unless a sniRouter network filter picks the cluster)" });
  if (router >= 0 && l.tcp.cluster !== undefined) ctx.addIssue({ code: "custom", path: ["tcp", "cluster"], message: `not used: the sniRouter (networkFilters[${router}]) picks the cluster; set its defaultCluster instead` });
}

export type TListener = z.infer<typeof ZListener>;
export type TListenerLimits = z.infer<typeof ZListenerLimits>;
export type TListenerTracing = z.infer<typeof ZListenerTracing>;
export type TListenerAccessLog = z.infer<typeof ZListenerAccessLog>;
export type TPathNormalization = z.infer<typeof ZPathNormalization>;
export type THttpFilter = z.infer<typeof ZHttpFilter>;
export type TCorsFilter = z.infer<typeof ZCorsFilter>;
export type TJwtAuthnFilter = z.infer<typeof ZJwtAuthnFilter>;
export type TRbacFilter = z.infer<typeof ZRbacFilter>;
export type TRbacPrincipal = z.infer<typeof ZRbacPrincipal>;
