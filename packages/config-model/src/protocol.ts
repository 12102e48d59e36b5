import { z } from "zod";
import { ZEndpoint } from "./cluster.ts";

/**
 * Control-plane wire messages (WebSocket at /api/xds, one JSON object per text frame).
 * State of the world, like xDS SotW: the console sends whole snapshots; the node answers
 * each with ack or nack. Every message is validated on receipt with these schemas.
 */

const ZVersion = z.number().int().min(0);
const ZHash = z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest");

/** node -> console, first frame after connect. */
export const ZHelloMessage = z.object({
  type: z.literal("hello"),
  nodeId: z.string().min(1).max(200),
  group: z.string().min(1).max(100).default("default"),
  labels: z.record(z.string(), z.string()).default({}),
  /** Version the node serves now (from its cache or a previous connection), or null. */
  appliedVersion: ZVersion.nullable().default(null),
  appliedHash: ZHash.nullable().default(null),
  /** Software version of the proxy. */
  proxyVersion: z.string().default("unknown"),
  /**
   * What this process can enforce beyond the config itself (servable.ts TProxyCapabilities);
   * absent in older proxies = unknown. The console refuses to publish a version a connected
   * node says it cannot enforce (e.g. a global rate limit to a node without Redis).
   */
  capabilities: z.object({ redis: z.boolean().optional() }).default({}),
});

/** console -> node: the whole config at a version. */
export const ZSnapshotMessage = z.object({
  type: z.literal("snapshot"),
  version: ZVersion,
  hash: ZHash,
  /** Validated by the node with the same config-model before it is applied. */
  config: z.unknown(),
});

/** node -> console: the snapshot is applied and serving. */
export const ZAckMessage = z.object({ type: z.literal("ack"), version: ZVersion, hash: ZHash });

/** node -> console: the snapshot was refused; the node keeps serving its last good version. */
export const ZNackMessage = z.object({
  type: z.literal("nack"),
  version: ZVersion,
  hash: ZHash.optional(),
  error: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).default([]),
});

/**
 * console -> node: the endpoints of one `discovery: eds` cluster, without a config
 * version (fast scale events). `version` counts per cluster and only grows; the node
 * answers `endpointsAck` once the set serves, or `endpointsNack` (unknown cluster, not
 * eds, invalid endpoints) and keeps the previous set.
 */
export const ZEndpointsMessage = z.object({
  type: z.literal("endpoints"),
  cluster: z.string().min(1),
  version: ZVersion,
  endpoints: z.array(ZEndpoint),
});

/** node -> console: an `endpoints` message is serving. */
export const ZEndpointsAckMessage = z.object({ type: z.literal("endpointsAck"), cluster: z.string(), version: ZVersion });

/** node -> console: an `endpoints` message was refused; the previous set keeps serving. */
export const ZEndpointsNackMessage = z.object({
  type: z.literal("endpointsNack"),
  cluster: z.string(),
  version: ZVersion,
  error: z.string(),
});

/** One endpoint as a node serves it now, with its live state. */
export const ZEndpointStatus = z.object({
  address: z.string(),
  port: z.number().int(),
  weight: z.number().int(),
  /** "healthy" | "unhealthy" | "pending" (first health check not answered yet). */
  health: z.string(),
  ejected: z.boolean().default(false),
  activeRequests: z.number().int().min(0).default(0),
});

/**
 * node -> console: each cluster's current endpoints and where they came from, sent after
 * every change (discovery update, health transition, new config) and at most once a second.
 */
export const ZClusterStatusMessage = z.object({
  type: z.literal("clusterStatus"),
  clusters: z.array(
    z.object({
      name: z.string(),
      discovery: z.string(),
      /** Human-readable origin, e.g. "dns users.svc (127.0.0.1:5353)", "consul users@dc1". */
      source: z.string(),
      /** eds: the endpoints version serving; null otherwise. */
      endpointsVersion: ZVersion.nullable().default(null),
      /** Epoch ms of the last successful discovery update (null: none yet / static). */
      updatedAt: z.number().int().nullable().default(null),
      /** Last discovery failure while the previous endpoints keep serving. */
      lastError: z.string().nullable().default(null),
      failures: z.number().int().min(0).default(0),
      endpoints: z.array(ZEndpointStatus),
    }),
  ),
});

/** Latency histogram with fixed bucket upper bounds (ms); counts[i] holds values <= bounds[i], the last count is +Inf. */
export const ZHistogram = z.object({
  bounds: z.array(z.number()),
  counts: z.array(z.number().int().min(0)),
  sum: z.number().min(0),
  count: z.number().int().min(0),
});

/**
 * One route or cluster in one window. Route entries are keyed by (listener, route,
 * cluster) so the console can label listener -> route -> cluster edges; the console
 * merges them by name for per-route figures. Cluster entries are keyed by cluster name.
 */
export const ZStatsEntry = z.object({
  kind: z.enum(["route", "cluster"]),
  name: z.string(),
  listener: z.string().optional(),
  /** Route entries: the cluster the requests went to ("" for local replies). */
  cluster: z.string().optional(),
  requests: z.number().int().min(0),
  codeClasses: z.object({ "1xx": z.number().int(), "2xx": z.number().int(), "3xx": z.number().int(), "4xx": z.number().int(), "5xx": z.number().int() }),
  bytesIn: z.number().int().min(0),
  bytesOut: z.number().int().min(0),
  latency: ZHistogram,
});

const ZCount = z.number().int().min(0);
/**
 * Compact latency histogram (stats-wire.ts): bucket counts in layout order, where a
 * negative number -k skips k empty buckets; trailing empty buckets are left out.
 */
const ZRuns = z.array(z.number().int()).max(1024);

/** Compact route row: [listener, route, cluster ("" = local reply), requests, 1xx, 2xx, 3xx, 4xx, 5xx, bytesIn, bytesOut, latency sum ms, runs]. */
export const ZStatsRouteRow = z.tuple([z.string(), z.string(), z.string(), ZCount, ZCount, ZCount, ZCount, ZCount, ZCount, ZCount, ZCount, z.number().min(0), ZRuns]);
/** Compact cluster row: [cluster, requests, 1xx, 2xx, 3xx, 4xx, 5xx, bytesIn, bytesOut, latency sum ms, runs]. */
export const ZStatsClusterRow = z.tuple([z.string(), ZCount, ZCount, ZCount, ZCount, ZCount, ZCount, ZCount, ZCount, z.number().min(0), ZRuns]);

/**
 * node -> console, every few seconds: counters and histograms for one window, only for
 * the routes and clusters that saw traffic in it. Two forms, decoded by stats-wire.ts:
 * - compact (what proxies send): `layout` names the histogram layout once
 *   (LATENCY_LAYOUT_ID), rows are positional tuples in `routes` and `clusters`, and
 *   histograms are sparse runs; ~10x smaller than the verbose form;
 * - verbose (`entries`, every histogram with its bounds): still accepted from older nodes.
 */
export const ZStatsMessage = z.object({
  type: z.literal("stats"),
  windowStart: z.number().int(),
  windowEnd: z.number().int(),
  layout: z.string().optional(),
  routes: z.array(ZStatsRouteRow).default([]),
  clusters: z.array(ZStatsClusterRow).default([]),
  entries: z.array(ZStatsEntry).default([]),
  /** Windows dropped while the console was away. */
  dropped: z.number().int().min(0).default(0),
  /** Spans dropped (buffer full while the console was away) since the previous stats message. */
  droppedSpans: z.number().int().min(0).default(0),
});

/** node -> console: endpoint health transitions as they happen. */
export const ZHealthMessage = z.object({
  type: z.literal("health"),
  events: z.array(
    z.object({
      cluster: z.string(),
      endpoint: z.string(),
      healthy: z.boolean(),
      reason: z.string(),
      at: z.number().int(),
    }),
  ),
});

export const ZSpan = z.object({
  traceId: z.string().regex(/^[0-9a-f]{32}$/),
  spanId: z.string().regex(/^[0-9a-f]{16}$/),
  parentSpanId: z.string().regex(/^[0-9a-f]{16}$/).optional(),
  name: z.string(),
  kind: z.enum(["server", "client"]),
  startUnixNano: z.string().regex(/^\d+$/),
  endUnixNano: z.string().regex(/^\d+$/),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  status: z.enum(["ok", "error", "unset"]).default("unset"),
});

/** node -> console: sampled spans in batches. */
export const ZSpansMessage = z.object({ type: z.literal("spans"), spans: z.array(ZSpan) });

/**
 * console -> node: the stats interval to use from now on, while the console's telemetry
 * store falls behind (0 = back to the node's own). The node merges its windows until the
 * interval has passed (nothing is dropped, the windows are only longer).
 */
export const ZStatsPaceMessage = z.object({ type: z.literal("statsPace"), intervalMs: z.number().int().min(0).max(600_000) });

/** console -> node: the console refuses the node or the message (e.g. a bad token). */
export const ZErrorMessage = z.object({ type: z.literal("error"), code: z.string(), message: z.string() });

export const ZNodeToConsoleMessage = z.discriminatedUnion("type", [
  ZHelloMessage,
  ZAckMessage,
  ZNackMessage,
  ZStatsMessage,
  ZHealthMessage,
  ZSpansMessage,
  ZEndpointsAckMessage,
  ZEndpointsNackMessage,
  ZClusterStatusMessage,
]);
export const ZConsoleToNodeMessage = z.discriminatedUnion("type", [ZSnapshotMessage, ZEndpointsMessage, ZStatsPaceMessage, ZErrorMessage]);

export type THelloMessage = z.infer<typeof ZHelloMessage>;
export type TSnapshotMessage = z.infer<typeof ZSnapshotMessage>;
export type TAckMessage = z.infer<typeof ZAckMessage>;
export type TNackMessage = z.infer<typeof ZNackMessage>;
export type TStatsMessage = z.infer<typeof ZStatsMessage>;
export type TStatsEntry = z.infer<typeof ZStatsEntry>;
export type TStatsRouteRow = z.infer<typeof ZStatsRouteRow>;
export type TStatsClusterRow = z.infer<typeof ZStatsClusterRow>;
export type THistogram = z.infer<typeof ZHistogram>;
export type THealthMessage = z.infer<typeof ZHealthMessage>;
export type TSpan = z.infer<typeof ZSpan>;
export type TSpansMessage = z.infer<typeof ZSpansMessage>;
export type TEndpointsMessage = z.infer<typeof ZEndpointsMessage>;
export type TEndpointsAckMessage = z.infer<typeof ZEndpointsAckMessage>;
export type TEndpointsNackMessage = z.infer<typeof ZEndpointsNackMessage>;
export type TEndpointStatus = z.infer<typeof ZEndpointStatus>;
export type TClusterStatusMessage = z.infer<typeof ZClusterStatusMessage>;
export type TErrorMessage = z.infer<typeof ZErrorMessage>;
export type TStatsPaceMessage = z.infer<typeof ZStatsPaceMessage>;
export type TNodeToConsoleMessage = z.infer<typeof ZNodeToConsoleMessage>;
export type TConsoleToNodeMessage = z.infer<typeof ZConsoleToNodeMessage>;

/** Parses one text frame against a message schema; `{ error }` says why a frame was refused. */
export function decodeMessage<T extends z.ZodType>(schema: T, frame: string): z.infer<T> | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(frame);
  } catch {
    return { error: "frame is not JSON" };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { error: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
  return parsed.data;
}
