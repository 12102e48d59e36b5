import { z } from "zod";
import { getTraceSpans, listTraces } from "@switchyard/db";
import { RestError, sendJson } from "./http.ts";
import type { TRestContext } from "./router.ts";
import { summarize } from "../telemetry/query.ts";
import { ZTraceQuery, toTraceFilter, traceSummary, waterfall } from "../telemetry/traces.ts";

/** `window` in seconds: default 300 (5 min), at most 7 days (the rollup retention default). */
const ZWindow = z.object({
  window: z.coerce.number({ error: "must be a number of seconds" }).int("must be a whole number of seconds").min(1, "must be >= 1").max(604_800, "must be <= 604800 (7 days)").default(300),
});

function parseQuery<T extends z.ZodType>(schema: T, query: URLSearchParams): z.infer<T> {
  const parsed = schema.safeParse(Object.fromEntries(query));
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new RestError(400, "SWY_REST_BAD_QUERY", `${i.path.join(".")}: ${i.message}`, {
      extra: { issues: parsed.error.issues.map((x) => ({ path: x.path.join("."), message: x.message })) },
    });
  }
  return parsed.data;
}

/**
 * GET /metrics/routes?window=SECONDS and /metrics/clusters (DESIGN §4): per name, merged
 * over every node (histograms added, percentiles from the merge): requests, statusClasses,
 * errorRatio (5xx / requests), p50Ms, p95Ms, p99Ms, plus meanMs, rps and bytes.
 */
export function metricsRoute(kind: "route" | "cluster") {
  return async ({ res, query, deps }: TRestContext): Promise<void> => {
    const { window } = parseQuery(ZWindow, query);
    const items = await summarize(deps.db, kind, window);
    sendJson(res, 200, { window, generatedAt: new Date().toISOString(), [kind === "route" ? "routes" : "clusters"]: items });
  };
}

/** GET /traces?route=&minMs=&limit=&status=&flag=&node=: recent traces, newest first. */
export async function listTracesRoute({ res, query, deps }: TRestContext): Promise<void> {
  const q = parseQuery(ZTraceQuery, query);
  const traces = await listTraces(deps.db, toTraceFilter(q));
  sendJson(res, 200, { traces: traces.map(traceSummary) });
}

/** GET /traces/:traceId: every stored span of one trace, as a waterfall. */
export async function getTraceRoute({ res, params, deps }: TRestContext): Promise<void> {
  const id = params.traceId ?? "";
  if (!/^[0-9a-f]{32}$/.test(id)) throw new RestError(400, "SWY_REST_BAD_TRACE_ID", "traceId: must be 32 lower-case hex digits");
  const spans = await getTraceSpans(deps.db, id);
  if (!spans.length) throw new RestError(404, "SWY_REST_TRACE_NOT_FOUND", `no spans stored for trace ${id}`);
  sendJson(res, 200, waterfall(spans));
}
