import { z } from "zod";
import { ZDurationMs, ZName, ZPort } from "./common.ts";

export const ZEndpoint = z.strictObject({
  /** IP address (static, eds) or host name (strictDns, logicalDns). */
  address: z.string().min(1),
  port: ZPort,
  /** Relative load; default 1. */
  weight: z.number().int().min(1, "must be >= 1").max(1000, "must be <= 1000").default(1),
});

const ZStatusRange = z
  .tuple([z.number().int().min(100).max(599), z.number().int().min(100).max(599)])
  .refine(([a, b]) => a <= b, "range start must be <= end");

export const ZHealthCheck = z.strictObject({
  /** http | tcp | grpc; default http. */
  type: z.enum(["http", "tcp", "grpc"]).default("http"),
  /** http checks; default "/". */
  path: z.string().startsWith("/", "must start with '/'").default("/"),
  /** Host header for http checks; default the cluster name. */
  host: z.string().min(1).optional(),
  /** grpc checks: the service name asked of grpc.health.v1; default "" (the server). */
  grpcServiceName: z.string().default(""),
  intervalMs: z.number().int().min(100).default(5_000),
  /** Random extra delay added to each interval, up to this; default 0. */
  intervalJitterMs: ZDurationMs.default(0),
  timeoutMs: z.number().int().min(1).default(1_000),
  unhealthyThreshold: z.number().int().min(1).default(3),
  healthyThreshold: z.number().int().min(1).default(2),
  /** Inclusive status ranges counted healthy; default [[200, 200]] as in Envoy. */
  expectedStatuses: z.array(ZStatusRange).min(1).default([[200, 200]]),
});

export const ZOutlierDetection = z.strictObject({
  /** Consecutive 5xx before ejection; default 5; 0 = off. */
  consecutive5xx: z.number().int().min(0).default(5),
  /** Consecutive 502/503/504/connect failures before ejection; default 0 = off. */
  consecutiveGatewayFailure: z.number().int().min(0).default(0),
  intervalMs: z.number().int().min(100).default(10_000),
  /** Ejection time = base * number of ejections, capped at maxEjectionTimeMs. */
  baseEjectionTimeMs: z.number().int().min(1).default(30_000),
  maxEjectionTimeMs: z.number().int().min(1).default(300_000),
  /** Default 10. */
  maxEjectionPercent: z.number().int().min(0).max(100).default(10),
});

export const ZCircuitBreakers = z.strictObject({
  maxConnections: z.number().int().min(1).default(1024),
  maxPendingRequests: z.number().int().min(1).default(1024),
  maxRequests: z.number().int().min(1).default(1024),
  maxRetries: z.number().int().min(0).default(3),
});

export const ZUpstreamTls = z.strictObject({
  /** Server name sent and verified; default the endpoint address. */
  sni: z.string().min(1).optional(),
  /** caBundle secret used to verify the upstream; default the system's roots. */
  caSecret: ZName.optional(),
  /** tlsCertificate secret presented to the upstream (mTLS). */
  clientCertificate: ZName.optional(),
});

export const ZCluster = z
  .strictObject({
    name: ZName,
    /** static | strictDns | logicalDns | eds | kubernetes | consul; default static. */
    discovery: z.enum(["static", "strictDns", "logicalDns", "eds", "kubernetes", "consul"]).default("static"),
    endpoints: z.array(ZEndpoint).default([]),
    /**
     * discovery: kubernetes — the ready endpoints of a Service, from its EndpointSlices
     * (list + watch through the API server; in-cluster service account or --kubeconfig).
     */
    kubernetes: z
      .strictObject({
        /** Default "default". */
        namespace: z.string().min(1).default("default"),
        service: z.string().min(1),
        /** The EndpointSlice port: its name (e.g. "http") or its number. */
        port: z.union([z.string().min(1), ZPort]),
      })
      .optional(),
    /** discovery: consul — passing instances from /v1/health/service/<service>?passing (blocking queries). */
    consul: z
      .strictObject({
        service: z.string().min(1),
        /** Only instances carrying this tag; default any. */
        tag: z.string().min(1).optional(),
        /** Ask this datacenter; default the agent's own. */
        datacenter: z.string().min(1).optional(),
        /** Consul HTTP API base URL; default the proxy's --consul flag (SWITCHYARD_CONSUL_URL, else http://127.0.0.1:8500). */
        address: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional(),
      })
      .optional(),
    /** strictDns / logicalDns: host:port of DNS servers to ask; default the system's (/etc/resolv.conf). */
    dnsResolvers: z.array(z.string().regex(/^[^\s:]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/, "must be host:port")).default([]),
    /**
     * strictDns / logicalDns: re-resolve this often; default 5000. A record's TTL shortens
     * the wait when it is lower (never below 100 ms); failures retry at this interval.
     */
    dnsRefreshMs: z.number().int().min(100).default(5_000),
    /** roundRobin | leastRequest | random | ringHash | maglev; default roundRobin. */
    lbPolicy: z.enum(["roundRobin", "leastRequest", "random", "ringHash", "maglev"]).default("roundRobin"),
    /** http1 | http2 | auto (ALPN over TLS); default http1. */
    protocol: z.enum(["http1", "http2", "auto"]).default("http1"),
    connectTimeoutMs: z.number().int().min(1).default(5_000),
    /** Close pooled upstream connections idle this long; default 60000. */
    idleTimeoutMs: z.number().int().min(1).default(60_000),
    tls: ZUpstreamTls.optional(),
    healthCheck: ZHealthCheck.optional(),
    outlierDetection: ZOutlierDetection.optional(),
    circuitBreakers: ZCircuitBreakers.optional(),
    /**
     * When fewer than this percent of the endpoints are available (healthy and not
     * ejected), balance over all of them ("panic"), as Envoy's healthy_panic_threshold;
     * default 50; 0 = never panic.
     */
    panicThresholdPercent: z.number().int().min(0).max(100).default(50),
    /** ringHash: entries on the ring (spread over endpoints by weight); default 1024, Envoy's minimum_ring_size. */
    ringHashMinimumRingSize: z.number().int().min(1).max(8_388_608).default(1024),
  })
  .superRefine((c, ctx) => {
    const needsEndpoints = c.discovery === "static" || c.discovery === "strictDns" || c.discovery === "logicalDns";
    if (!needsEndpoints && c.discovery !== "eds" && c.endpoints.length) {
      ctx.addIssue({ code: "custom", path: ["endpoints"], message: `not allowed with discovery ${c.discovery}` });
    }
    if (c.discovery === "kubernetes" && !c.kubernetes) ctx.addIssue({ code: "custom", path: ["kubernetes"], message: "required when discovery is kubernetes" });
    if (c.discovery !== "kubernetes" && c.kubernetes) ctx.addIssue({ code: "custom", path: ["kubernetes"], message: "only allowed when discovery is kubernetes" });
    if (c.discovery === "consul" && !c.consul) ctx.addIssue({ code: "custom", path: ["consul"], message: "required when discovery is consul" });
    if (c.discovery !== "consul" && c.consul) ctx.addIssue({ code: "custom", path: ["consul"], message: "only allowed when discovery is consul" });
    if ((c.discovery === "strictDns" || c.discovery === "logicalDns") && c.endpoints.length === 0) {
      ctx.addIssue({ code: "custom", path: ["endpoints"], message: `list at least one host name with discovery ${c.discovery}` });
    }
    if (c.discovery === "logicalDns" && c.endpoints.length > 1) {
      ctx.addIssue({ code: "custom", path: ["endpoints"], message: "logicalDns takes exactly one host name" });
    }
  });

export type TCluster = z.infer<typeof ZCluster>;
export type TEndpoint = z.infer<typeof ZEndpoint>;
export type THealthCheck = z.infer<typeof ZHealthCheck>;
export type TOutlierDetection = z.infer<typeof ZOutlierDetection>;
export type TCircuitBreakers = z.infer<typeof ZCircuitBreakers>;
export type TUpstreamTls = z.infer<typeof ZUpstreamTls>;
