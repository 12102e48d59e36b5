import type { TConfig } from "@switchyard/config-model";
import { getNode, getTraceSpans, getVersion, listHealthEvents, listVersions, type Db, type TStoredSpan } from "@switchyard/db";
import { parseAccessLogLine } from "../../lib/access-log-line.ts";
import { explainFailure, type TExplainInput, type TExplanation } from "../../lib/why-failed.ts";
import { AppError } from "./app-error.ts";

/** How far back health transitions are read to know an endpoint's state at the request. */
const HEALTH_LOOKBACK_MS = 24 * 3600_000;
/** Versions looked at to find the one live before the request. */
const VERSIONS_SCANNED = 200;

export type TRequestExplanation = TExplanation & {
  /** The stored trace this comes from; null when explained from an access-log line alone. */
  traceId: string | null;
  status: number;
  route: string;
  cluster: string;
  nodeId: string;
  at: number;
  durationMs: number;
  version: { version: number; exact: boolean } | null;
  tries: TExplainInput["tries"];
};

/**
 * "Why this 503" for one sampled request: its spans, the node's version at that moment,
 * the route and cluster as that version has them, and the endpoints' health transitions
 * on that node up to the request.
 */
export async function explainTrace(db: Db, traceId: string): Promise<TRequestExplanation> {
  const spans = await getTraceSpans(db, traceId);
  const ids = new Set(spans.map((s) => s.spanId));
  const root = spans.find((s) => s.kind === "server" && (!s.parentSpanId || !ids.has(s.parentSpanId))) ?? spans[0];
  if (!root) throw new AppError("NOT_FOUND", `no spans stored for trace ${traceId}`);
  const at = root.startTime.getTime();
  const tries = spans
    .filter((s) => s.kind === "client" && s.parentSpanId === root.spanId)
    .map((s, n) => {
      const a = attrs(s);
      return { attempt: Number(a["switchyard.upstream.attempt"] ?? n + 1), host: String(a["switchyard.upstream_host"] ?? ""), status: s.httpStatus, flags: s.responseFlags, durationMs: s.durationMs };
    })
    .sort((x, y) => x.attempt - y.attempt);

  const version = await versionAt(db, root.nodeId, at);
  const config = version ? ((await getVersion(db, version.version))?.config ?? null) : null;
  const health = root.cluster ? await listHealthEvents(db, { cluster: root.cluster, since: new Date(at - HEALTH_LOOKBACK_MS), limit: 1000 }) : [];
  const input: TExplainInput = {
    status: root.httpStatus,
    flags: root.responseFlags,
    route: root.route,
    cluster: root.cluster,
    upstreamHost: String(attrs(root)["switchyard.upstream_host"] ?? ""),
    nodeId: root.nodeId,
    at,
    durationMs: root.durationMs,
    tries,
    version,
    routeConfig: config ? findRoute(config, root.route) : null,
    clusterConfig: config?.clusters.find((c) => c.name === root.cluster) ?? null,
    health: health.filter((h) => h.nodeId === root.nodeId).map((h) => ({ endpoint: h.endpoint, healthy: h.healthy, reason: h.reason, at: h.at.getTime() })),
  };
  return { ...explainFailure(input), traceId, status: root.httpStatus, route: root.route, cluster: root.cluster, nodeId: root.nodeId, at, durationMs: root.durationMs, version, tries };
}

/** The node's applied version when it was acked before the request; else the latest published before it. */
async function versionAt(db: Db, nodeId: string, at: number): Promise<{ version: number; exact: boolean } | null> {
  const node = await getNode(db, nodeId);
  if (node?.appliedVersion != null && node.lastAckAt && node.lastAckAt.getTime() <= at) return { version: node.appliedVersion, exact: true };
  return latestBefore(db, at);
}

async function latestBefore(db: Db, at: number): Promise<{ version: number; exact: boolean } | null> {
  const before = (await listVersions(db, { limit: VERSIONS_SCANNED })).find((v) => v.createdAt.getTime() <= at);
  return before ? { version: before.version, exact: false } : null;
}

function findRoute(config: TConfig, name: string) {
  for (const rc of config.routeConfigs) for (const vh of rc.virtualHosts) for (const r of vh.routes) if (r.name === name) return "route" in r && r.route ? r.route : {};
  return null;
}

function attrs(s: TStoredSpan): Record<string, unknown> {
  return (s.attributes ?? {}) as Record<string, unknown>;
}

/**
 * "Why this 503" from one access-log line: the stored trace when the request was sampled,
 * else the line's own fields (status, flags, upstream host, route, cluster, attempts).
 * `nodeId` (the log's source) narrows the health transitions and the version to that node.
 */
export async function explainAccessLogLine(db: Db, input: { line: string; nodeId?: string | undefined }): Promise<TRequestExplanation> {
  const parsed = parseAccessLogLine(input.line);
  if (!parsed.ok) throw new AppError("VALIDATION", parsed.error, [{ path: "line", message: parsed.error }]);
  const l = parsed.line;
  if (l.traceId && /^[0-9a-f]{32}$/.test(l.traceId) && (await getTraceSpans(db, l.traceId)).length) return explainTrace(db, l.traceId);
  const at = Date.parse(l.time);
  const nodeId = input.nodeId ?? "";
  const version = nodeId ? await versionAt(db, nodeId, at) : await latestBefore(db, at);
  const config = version ? ((await getVersion(db, version.version))?.config ?? null) : null;
  const health = l.cluster ? await listHealthEvents(db, { cluster: l.cluster, since: new Date(at - HEALTH_LOOKBACK_MS), limit: 1000 }) : [];
  const host = l.upstreamHost ?? "";
  const explainInput: TExplainInput = {
    status: l.status,
    flags: l.responseFlags,
    route: l.route ?? "",
    cluster: l.cluster ?? "",
    upstreamHost: host,
    nodeId: nodeId || "(not given)",
    at,
    durationMs: l.durationMs,
    // The line names only the last try's host; earlier tries are counted, not named.
    tries: Array.from({ length: l.attempts }, (_, i) => ({ attempt: i + 1, host: i === l.attempts - 1 ? host : "", status: i === l.attempts - 1 ? l.status : 0, flags: "", durationMs: 0 })),
    version,
    routeConfig: config && l.route ? findRoute(config, l.route) : null,
    clusterConfig: config?.clusters.find((c) => c.name === l.cluster) ?? null,
    health: health.filter((h) => !nodeId || h.nodeId === nodeId).map((h) => ({ endpoint: h.endpoint, healthy: h.healthy, reason: nodeId ? h.reason : `${h.reason} (node ${h.nodeId})`, at: h.at.getTime() })),
  };
  return { ...explainFailure(explainInput), traceId: null, status: l.status, route: l.route ?? "", cluster: l.cluster ?? "", nodeId: explainInput.nodeId, at, durationMs: l.durationMs, version, tries: explainInput.tries };
}
