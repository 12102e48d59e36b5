import type { THttpFilter } from "../filters/api.ts";
import { requestIdentity, spanIdentity } from "../observability/request-identity.ts";
import type { TSpanSink } from "../observability/tracing/request-trace.ts";
import type { ActiveRequest } from "./active-request.ts";
import type { FilterRequest } from "./filter-request.ts";

/**
 * The one finish of a request (every kind: plain, h2, gRPC, tunnel), when its downstream
 * closes: the request metric, the stats window (managed mode), the span with its tries'
 * spans (when sampled and someone takes spans), the filters' onDone, the access log line
 * (sampled per listener).
 */
export function finishRequest(ar: ActiveRequest): void {
  const status = ar.downstream.status;
  const durationMs = performance.now() - ar.start;
  const routeName = ar.route?.name ?? null;
  const deps = ar.deps;
  const listener = ar.listener;
  deps.metrics.recordRequest(listener.name, routeName ?? "", ar.clusterName ?? "", status, durationMs / 1000);
  deps.stats?.record(listener.name, routeName ?? "", ar.clusterName ?? "", status, durationMs, ar.bytesIn, ar.bytesOut);
  if (deps.spans !== null && ar.trace.recording) finishTrace(ar, deps.spans, status, routeName);
  if (ar.chain.done && ar.filterReq) done(ar, ar.filterReq, status, durationMs);
  // Sampling decided once per request, here, only when the listener asks for less than all.
  const al = listener.accessLog;
  if (al.sampleRate < 1 && !(Math.random() < al.sampleRate)) return;
  const metadata = ar.filterReq?.metadataIfAny();
  const identity = requestIdentity(ar.req, ar.remoteAddress);
  deps.accessLog.write(
    {
      time: isoNow(),
      method: ar.method,
      authority: ar.host,
      path: ar.url,
      status,
      responseFlags: ar.flags || "-",
      durationMs: Math.round(durationMs * 1000) / 1000,
      upstreamHost: ar.upstreamHost,
      bytesIn: ar.bytesIn,
      bytesOut: ar.bytesOut,
      requestId: ar.requestId,
      traceId: ar.trace.traceId,
      listener: listener.name,
      route: routeName,
      cluster: ar.clusterName,
      attempts: ar.attempts,
      clientAddress: identity.clientAddress,
      userAgent: identity.userAgent,
      protocol: identity.protocol,
      ...(metadata ? { metadata: Object.fromEntries(metadata) } : {}),
    },
    al.format,
  );
}

let isoText = "";
let isoMs = 0;

/** The access log's `time`: formatted once per millisecond (many lines share one under load). */
export function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

/** onDone, last filter first; a throwing onDone is counted and logged, the request is over anyway. */
function done(ar: ActiveRequest, req: FilterRequest, status: number, durationMs: number): void {
  const info = { status, durationMs, responseFlags: ar.flags || "-" };
  const filters = ar.chain.filters;
  for (let i = ar.ran - 1; i >= 0; i--) {
    const f = filters[i] as THttpFilter;
    if (!f.onDone) continue;
    try {
      f.onDone(info, req);
    } catch (err) {
      ar.deps.metrics.filterError(f.name);
      ar.deps.log("filter_failed", { requestId: ar.requestId, filter: f.name, phase: "onDone", error: err });
    }
  }
}

/** The SERVER span (and the tries' CLIENT spans) of a sampled request. */
function finishTrace(ar: ActiveRequest, sink: TSpanSink, status: number, routeName: string | null): void {
  ar.trace.finish(
    sink,
    `${ar.method} ${routeName ?? "(no route)"}`,
    {
      "http.request.method": ar.method,
      "url.path": ar.path,
      "server.address": ar.host,
      "http.response.status_code": status,
      "switchyard.listener": ar.listener.name,
      "switchyard.route": routeName ?? "",
      "switchyard.cluster": ar.clusterName ?? "",
      "switchyard.response_flags": ar.flags || "-",
      "switchyard.upstream_host": ar.upstreamHost ?? "",
      "switchyard.request_id": ar.requestId,
      "http.request.body.size": ar.bytesIn,
      "http.response.body.size": ar.bytesOut,
      ...spanIdentity(ar.req, ar.remoteAddress),
      ...(ar.isUpgrade ? { "switchyard.upgrade": "websocket" } : {}),
    },
    status >= 500 || status === 0,
  );
}
