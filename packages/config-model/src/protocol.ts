import { z } from "zod";
import { ZEndpoint } from "./cluster.ts";
import { ZPluginInfo } from "./filters/plugin.ts";

/**
 * Control-plane wire messages (WebSocket at /api/xds, one JSON object per text frame).
 * State of the world, like xDS SotW: the console sends whole snapshots; the node answers
 * each with ack or nack. Every message is validated on receipt with these schemas.
 */

/**
 * What one frame from a node may carry at most. A proxy stays far below (it splits larger
 * stats windows into frames of WIRE_LIMITS.statsEntries); the bounds keep one frame of a
 * hostile node from costing the console more than any other's (issue #20).
 */
export const WIRE_LIMITS = {
  /** About 1 MB of JSON (each entry carries its histogram's bounds). */
  statsEntries: 500,
  spans: 1_000,
  healthEvents: 1_000,
  clusters: 2_000,
  endpointsPerCluster: 10_000,
  issues: 200,
  labels: 64,
  /** Names, labels, addresses, span attributes. */
  shortText: 256,
  /** Error messages and reasons. */
  longText: 16_384,
  /** Any one count of one window (requests, a status class, a histogram bucket): fits the console's int columns. */
  counter: 1_000_000_000,
  /** Bytes of one window. */
  bytes: 1_000_000_000_000_000,
  /** Histogram bounds (the shared layout, LATENCY_BOUNDS_MS, has 183). */
  histogramSlots: 256,
  spanAttributes: 64,
  /** Plugins one node announces (each schema at most 64 KiB of JSON: filters/plugin.ts). */
  plugins: 64,
} as const;

const ZShort = z.string().max(WIRE_LIMITS.shortText);
const ZLong = z.string().max(WIRE_LIMITS.longText);
const ZCount = z.number().int().min(0).max(WIRE_LIMITS.counter);
const ZBytes = z.number().int().min(0).max(WIRE_LIMITS.bytes);
const ZVersion = z.number().int().min(0).max(2_147_483_647);
const ZHash = z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest");

/** node -> console, first frame after connect. */
export const ZHelloMessage = z.object({
  type: z.literal("hello"),
  nodeId: z.string().min(1).max(200),
  group: z.string().min(1).max(100).default("default"),
  labels: z
    .record(ZShort, ZShort)
    .refine((l) => Object.keys(l).length <= WIRE_LIMITS.labels, `at most ${WIRE_LIMITS.labels} labels`)
    .default({}),
  /** Version the node serves now (from its cache or a previous connection), or null. */
  appliedVersion: ZVersion.nullable().default(null),
  appliedHash: ZHash.nullable().default(null),
  /** Software version of the proxy. */
  proxyVersion: ZShort.default("unknown"),
  /**
   * What this process can enforce beyond the config itself (servable.ts TProxyCapabilities);
   * absent in older proxies = unknown. The console refuses to publish a version a connected
   * node says it cannot enforce (e.g. a global rate limit to a node without Redis).
   */
  capabilities: z
    .object({
      redis: z.boolean().optional(),
      /** Plugin modules this node may load (`--plugin`); absent = the node does not say (older proxies). */
      plugins: z.array(ZPluginInfo).max(WIRE_LIMITS.plugins).optional(),
    })
    .default({}),
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
  error: ZLong,
  issues: z.array(z.object({ path: ZLong, message: ZLong })).max(WIRE_LIMITS.issues).default([]),
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
export const ZEndpointsAckMessage = z.object({ type: z.literal("endpointsAck"), cluster: ZShort, version: ZVersion });

/** node -> console: an `endpoints` message was refused; the previous set keeps serving. */
export const ZEndpointsNackMessage = z.object({
  type: z.literal("endpointsNack"),
  cluster: ZShort,
  version: ZVersion,
  error: ZLong,
});

/** One endpoint as a node serves it now, with its live state. */
export const ZEndpointStatus = z.object({
  address: ZShort,
  port: z.number().int(),
  weight: z.number().int(),
  /** "healthy" | "unhealthy" | "pending" (first health check not answered yet). */
  health: ZShort,
  ejected: z.boolean().default(false),
  activeRequests: ZCount.default(0),
});

/**
 * node -> console: each cluster's current endpoints and where they came from, sent after
 * every change (discovery update, health transition, new config) and at most once a second.
 */
export const ZClusterStatusMessage = z.object({
  type: z.literal("clusterStatus"),
  clusters: z.array(
    z.object({
      name: ZShort,
      discovery: ZShort,
      /** Human-readable origin, e.g. "dns users.svc (127.0.0.1:5353)", "consul users@dc1". */
      source: ZLong,
      /** eds: the endpoints version serving; null otherwise. */
      endpointsVersion: ZVersion.nullable().default(null),
      /** Epoch ms of the last successful discovery update (null: none yet / static). */
      updatedAt: z.number().int().nullable().default(null),
      /** Last discovery failure while the previous endpoints keep serving. */
      lastError: ZLong.nullable().default(null),
      failures: ZCount.default(0),
      endpoints: z.array(ZEndpointStatus).max(WIRE_LIMITS.endpointsPerCluster),
    }),
  ).max(WIRE_LIMITS.clusters),
});

/** Latency histogram with fixed bucket upper bounds (ms); counts[i] holds values <= bounds[i], the last count is +Inf. */
/**
 * A numeric array checked in one loop: a full stats frame holds about 370 000 histogram
 * numbers, and a per-element schema made decoding one frame cost the console's event loop
 * ~10x more (issue #20).
 */
function numberArray(max: number, ok: (n: unknown) => boolean, what: string) {
  return z.custom<number[]>((v) => Array.isArray(v) && v.length <= max && v.every(ok), `must be an array of at most ${max} ${what}`);
}
const isFiniteNumber = (n: unknown) => typeof n === "number" && Number.isFinite(n);
const isCount = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= WIRE_LIMITS.counter;

export const ZHistogram = z.object({
  bounds: numberArray(WIRE_LIMITS.histogramSlots, isFiniteNumber, "numbers"),
  counts: numberArray(WIRE_LIMITS.histogramSlots + 1, isCount, `whole numbers from 0 to ${WIRE_LIMITS.counter}`),
  sum: z.number().min(0),
  count: ZCount,
});

/**
 * One route or cluster in one window. Route entries are keyed by (listener, route,
 * cluster) so the console can label listener -> route -> cluster edges; the console
 * merges them by name for per-route figures. Cluster entries are keyed by cluster name.
 */
export const ZStatsEntry = z.object({
  kind: z.enum(["route", "cluster"]),
  name: ZShort,
  listener: ZShort.optional(),
  /** Route entries: the cluster the requests went to ("" for local replies). */
  cluster: ZShort.optional(),
  requests: ZCount,
  codeClasses: z.object({ "1xx": ZCount, "2xx": ZCount, "3xx": ZCount, "4xx": ZCount, "5xx": ZCount }),
  bytesIn: ZBytes,
  bytesOut: ZBytes,
  latency: ZHistogram,
});

/**
 * Compact latency histogram (stats-wire.ts): bucket counts in layout order, where a
 * negative number -k skips k empty buckets; trailing empty buckets are left out.
 */
const isRun = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n >= -(WIRE_LIMITS.histogramSlots + 1) && n <= WIRE_LIMITS.counter;
const ZRuns = numberArray(WIRE_LIMITS.histogramSlots + 1, isRun, `whole numbers from ${-(WIRE_LIMITS.histogramSlots + 1)} to ${WIRE_LIMITS.counter}`);

/** Compact route row: [listener, route, cluster ("" = local reply), requests, 1xx, 2xx, 3xx, 4xx, 5xx, bytesIn, bytesOut, latency sum ms, runs]. */
export const ZStatsRouteRow = z.tuple([ZShort, ZShort, ZShort, ZCount, ZCount, ZCount, ZCount, ZCount, ZCount, ZBytes, ZBytes, z.number().min(0), ZRuns]);
/** Compact cluster row: [cluster, requests, 1xx, 2xx, 3xx, 4xx, 5xx, bytesIn, bytesOut, latency sum ms, runs]. */
export const ZStatsClusterRow = z.tuple([ZShort, ZCount, ZCount, ZCount, ZCount, ZCount, ZCount, ZBytes, ZBytes, z.number().min(0), ZRuns]);

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
  layout: z.string().max(WIRE_LIMITS.shortText).optional(),
  routes: z.array(ZStatsRouteRow).max(WIRE_LIMITS.statsEntries).default([]),
  clusters: z.array(ZStatsClusterRow).max(WIRE_LIMITS.statsEntries).default([]),
  entries: z.array(ZStatsEntry).max(WIRE_LIMITS.statsEntries).default([]),
  /** Windows dropped while the console was away. */
  dropped: ZCount.default(0),
  /** Spans dropped (buffer full while the console was away) since the previous stats message. */
  droppedSpans: ZCount.default(0),
});

/** node -> console: endpoint health transitions as they happen. */
export const ZHealthMessage = z.object({
  type: z.literal("health"),
  events: z.array(
    z.object({
      cluster: ZShort,
      endpoint: ZShort,
      healthy: z.boolean(),
      reason: ZLong,
      at: z.number().int(),
    }),
  ).max(WIRE_LIMITS.healthEvents),
});

export const ZSpan = z.object({
  traceId: z.string().regex(/^[0-9a-f]{32}$/),
  spanId: z.string().regex(/^[0-9a-f]{16}$/),
  parentSpanId: z.string().regex(/^[0-9a-f]{16}$/).optional(),
  name: ZShort,
  kind: z.enum(["server", "client"]),
  startUnixNano: z.string().regex(/^\d{1,20}$/),
  endUnixNano: z.string().regex(/^\d{1,20}$/),
  attributes: z
    .record(ZShort, z.union([ZLong, z.number(), z.boolean()]))
    .refine((a) => Object.keys(a).length <= WIRE_LIMITS.spanAttributes, `at most ${WIRE_LIMITS.spanAttributes} attributes`)
    .default({}),
  status: z.enum(["ok", "error", "unset"]).default("unset"),
});

/** node -> console: sampled spans in batches. */
export const ZSpansMessage = z.object({ type: z.literal("spans"), spans: z.array(ZSpan).max(WIRE_LIMITS.spans) });

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
