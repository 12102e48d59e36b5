import { z } from "zod";
import { ZDurationMs, ZHttpHeaderName, ZName, exactlyOneOf } from "./common.ts";

/**
 * The built-in HTTP filters of issue #14 item 6 (extAuthz, compression, fault,
 * localReplies, grpcWeb, bufferLimits), each as Envoy, Kong and Traefik users know it.
 * Every field documents its default. Listed in ZHttpFilter (listener.ts); routes
 * disable or replace them by name with `filterOverrides`.
 */

/** Unique in the chain; default the filter's type (see listener.ts). */
const ZFilterName = ZName.optional();
const ZPercent = z.number().min(0, "must be between 0 and 100").max(100, "must be between 0 and 100");
const ZStatus = z.number().int().min(200, "must be an HTTP status 200-599").max(599, "must be an HTTP status 200-599");

/** External authorization over HTTP (Envoy ext_authz, HTTP service mode; Traefik forwardAuth). */
export const ZExtAuthzFilter = z.strictObject({
  type: z.literal("extAuthz"),
  name: ZFilterName,
  /**
   * The authorization service. The request's path and query are appended to this URL's
   * path (Envoy's path_prefix); the method is the request's.
   */
  url: z.url().refine((u) => /^https?:\/\//.test(u), "must be an http:// or https:// URL"),
  /** Time for the service's answer; default 200 (Envoy's). Past it: failOpen decides. */
  timeoutMs: ZDurationMs.min(1, "must be >= 1").default(200),
  /** Request headers sent to the service besides authorization (always sent); default none. */
  allowedHeaders: z.array(ZHttpHeaderName).default([]),
  /** Headers of an allowing (2xx) answer set on the upstream request; default none. */
  allowedUpstreamHeaders: z.array(ZHttpHeaderName).default([]),
  /**
   * Headers of a denying answer passed to the client. Default (absent): all of them
   * except hop-by-hop ones and content-length.
   */
  allowedClientHeaders: z.array(ZHttpHeaderName).optional(),
  /**
   * Send the request body too (buffered up to maxRequestBytes). Default: absent (no body).
   * allowPartialMessage: send the first maxRequestBytes of a bigger body instead of 413.
   */
  withRequestBody: z
    .strictObject({ maxRequestBytes: z.number().int().min(1).default(8192), allowPartialMessage: z.boolean().default(false) })
    .optional(),
  /** The service failed or timed out: true = let the request through (Envoy's failure_mode_allow); default false. */
  failOpen: z.boolean().default(false),
  /** Status sent when the service failed and failOpen is false; default 403 (Envoy's). */
  statusOnError: ZStatus.default(403),
});

export const COMPRESSION_ALGORITHMS = ["zstd", "br", "gzip"] as const;

/** Envoy's compressor default content types. */
export const DEFAULT_COMPRESSIBLE_TYPES: readonly string[] = [
  "application/javascript", "application/json", "application/xhtml+xml", "image/svg+xml",
  "text/css", "text/html", "text/plain", "text/xml",
];

/** Response compression (Envoy compressor, Traefik compress, Kong response-transformer gzip). */
export const ZCompressionFilter = z.strictObject({
  type: z.literal("compression"),
  name: ZFilterName,
  /** Offered in this order of preference when the client's q-values tie; default zstd, br, gzip. */
  algorithms: z
    .array(z.enum(COMPRESSION_ALGORITHMS))
    .min(1, "list at least one algorithm")
    .refine((a) => new Set(a).size === a.length, "algorithms must be unique")
    .default([...COMPRESSION_ALGORITHMS]),
  /** Responses with a smaller Content-Length are sent as they are; default 30 (Envoy's). */
  minContentLength: z.number().int().min(0).default(30),
  /** Media types compressed (parameters ignored); default Envoy's list (json, html, text, css, js, xml, svg). */
  contentTypes: z.array(z.string().min(1).regex(/^[^\s;,]+\/[^\s;,]+$/, "must be a media type such as text/html")).min(1).default([...DEFAULT_COMPRESSIBLE_TYPES]),
});

/** Fault injection for chaos tests (Envoy fault filter). */
export const ZFaultFilter = z
  .strictObject({
    type: z.literal("fault"),
    name: ZFilterName,
    /** Delay requests (flag DI). percentage default 100. */
    delay: z.strictObject({ fixedDelayMs: ZDurationMs, percentage: ZPercent.default(100) }).optional(),
    /**
     * Answer locally instead of forwarding (flag FI): httpStatus, and for gRPC clients
     * grpcStatus (0-16; default: mapped from httpStatus, or 14 UNAVAILABLE when only
     * grpcStatus is set). At least one of them. percentage default 100.
     */
    abort: z
      .strictObject({
        httpStatus: ZStatus.optional(),
        grpcStatus: z.number().int().min(0).max(16).optional(),
        percentage: ZPercent.default(100),
      })
      .refine((a) => a.httpStatus !== undefined || a.grpcStatus !== undefined, "set httpStatus or grpcStatus")
      .optional(),
    /**
     * Let requests ask for faults with headers (Envoy's x-envoy-fault-* headers, named
     * x-switchyard-fault-*): delay-request (ms), abort-request (status),
     * abort-grpc-request (gRPC status), delay-request-percentage, abort-request-percentage. Default false: only enable it
     * where clients are trusted (anyone could slow a request down).
     */
    headerControl: z.boolean().default(false),
    /** Longest delay a header may ask for; default 10000. */
    maxHeaderDelayMs: ZDurationMs.default(10_000),
    /** Most faults in progress at once (a delay lasts until it ends), per proxy process; default: no limit (Envoy's max_active_faults). */
    maxActiveFaults: z.number().int().min(0).optional(),
  })
  .refine((f) => f.delay !== undefined || f.abort !== undefined || f.headerControl, "set delay, abort or headerControl");

/** Fields a local-reply template may use: %NAME% and %REQ(header-name)%. */
export const LOCAL_REPLY_FIELDS: readonly string[] = ["RESPONSE_CODE", "RESPONSE_FLAGS", "LOCAL_REPLY_BODY", "REQUEST_ID", "METHOD", "PATH", "ROUTE"];

const ZTemplate = z
  .string()
  .max(16_384)
  .refine(
    (t) => [...t.matchAll(/%([^%\s]*)%/g)].every((m) => LOCAL_REPLY_FIELDS.includes(m[1] as string) || /^REQ\([!#$%&'*+\-.^_`|~0-9A-Za-z]+\)$/.test(m[1] as string)),
    { message: `unknown %FIELD%; known: ${LOCAL_REPLY_FIELDS.join(" ")} REQ(header)` },
  );

/** How a local reply's body is written: a JSON object of templates, or a text template (HTML too). */
export const ZLocalReplyFormat = z
  .strictObject({
    /** Each value a template; the values are JSON-escaped. */
    json: z.record(z.string().min(1), ZTemplate).optional(),
    /** A template; with a text/html contentType the values are HTML-escaped. */
    text: ZTemplate.optional(),
    /** Default application/json for json, text/plain for text. */
    contentType: z.string().min(1).regex(/^[^\s;,]+\/[^\s;,]+/, "must be a media type").optional(),
  })
  .superRefine(exactlyOneOf(["json", "text"]));

export const ZLocalReplyMapper = z.strictObject({
  /** All given must hold; an empty match matches every local reply. */
  match: z
    .strictObject({
      /** Any of these response flags (e.g. NR, UH, UF, UT, RL, UAEX, FI). */
      flags: z.array(z.string().regex(/^[A-Z]+$/, "must be a response flag such as UH")).optional(),
      /** Any of these statuses. */
      statuses: z.array(z.number().int().min(100).max(599)).optional(),
    })
    .default({}),
  /** Status sent instead; default: unchanged. */
  status: ZStatus.optional(),
  /** Replaces %LOCAL_REPLY_BODY% (a template itself); default: the proxy's own text. */
  body: ZTemplate.optional(),
  /** Format for this mapper instead of the filter's. */
  format: ZLocalReplyFormat.optional(),
  /** Extra headers on the reply (values are templates). */
  headers: z.record(ZHttpHeaderName, ZTemplate).default({}),
});

/** Custom local replies (Envoy's local_reply_config; Kong/Traefik custom error pages). */
export const ZLocalRepliesFilter = z.strictObject({
  type: z.literal("localReplies"),
  name: ZFilterName,
  /** Tried in order; the first that matches rewrites the reply. Default none. */
  mappers: z.array(ZLocalReplyMapper).default([]),
  /** Format of every local reply (mapped or not); default: the proxy's plain text. */
  format: ZLocalReplyFormat.optional(),
});

/** gRPC-Web clients to gRPC upstreams (Envoy grpc_web filter). No options. */
export const ZGrpcWebFilter = z.strictObject({
  type: z.literal("grpcWeb"),
  name: ZFilterName,
});

/** Buffers the whole request body before forwarding, refusing bigger ones with 413 (Envoy buffer filter). */
export const ZBufferLimitsFilter = z.strictObject({
  type: z.literal("bufferLimits"),
  name: ZFilterName,
  /** Most request body bytes buffered; more = 413. */
  maxRequestBytes: z.number().int().min(0),
});

export type TExtAuthzFilter = z.infer<typeof ZExtAuthzFilter>;
export type TCompressionFilter = z.infer<typeof ZCompressionFilter>;
export type TCompressionAlgorithm = (typeof COMPRESSION_ALGORITHMS)[number];
export type TFaultFilter = z.infer<typeof ZFaultFilter>;
export type TLocalRepliesFilter = z.infer<typeof ZLocalRepliesFilter>;
export type TLocalReplyFormat = z.infer<typeof ZLocalReplyFormat>;
export type TGrpcWebFilter = z.infer<typeof ZGrpcWebFilter>;
export type TBufferLimitsFilter = z.infer<typeof ZBufferLimitsFilter>;
