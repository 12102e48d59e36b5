import { z } from "zod";
import type { TStoredSpan, TTraceFilter } from "@switchyard/db";

/** Filters of the traces page and GET /api/v1/traces (all optional). */
export const ZTraceQuery = z.object({
  route: z.string().max(128).optional(),
  /** Exact status (503) or class (5xx). */
  status: z
    .string()
    .regex(/^([1-5]xx|[1-5]\d\d)$/, "must be a status (503) or a class (5xx)")
    .optional(),
  /** Envoy response flag, e.g. UF. */
  flag: z.string().regex(/^[A-Z]{2,4}$/, "must be a response flag such as UF").optional(),
  minMs: z.coerce.number({ error: "must be a number" }).min(0, "must be >= 0").optional(),
  node: z.string().max(200).optional(),
  /** Only traces that started in the last `sinceS` seconds; default 24 h (span retention). */
  sinceS: z.coerce.number().int().min(1).max(7 * 86_400).optional(),
  limit: z.coerce.number({ error: "must be a number" }).int("must be a whole number").min(1, "must be >= 1").max(500, "must be <= 500").default(50),
});
export type TTraceQuery = z.infer<typeof ZTraceQuery>;

export function toTraceFilter(q: TTraceQuery): TTraceFilter {
  return {
    limit: q.limit,
    ...(q.route !== undefined && q.route !== "" ? { route: q.route } : {}),
    ...(q.status ? { status: q.status.endsWith("xx") ? (q.status as "5xx") : Number(q.status) } : {}),
    ...(q.flag ? { responseFlag: q.flag } : {}),
    ...(q.minMs !== undefined ? { minMs: q.minMs } : {}),
    ...(q.node ? { nodeId: q.node } : {}),
    since: new Date(Date.now() - (q.sinceS ?? 86_400) * 1000),
  };
}

export type TTraceSummary = {
  traceId: string;
  rootSpanId: string;
  name: string;
  route: string;
  cluster: string;
  status: number;
  responseFlags: string;
  durationMs: number;
  startTime: string;
  nodeId: string;
  spanCount: number;
  error: boolean;
};

export function traceSummary(s: TStoredSpan & { spanCount: number }): TTraceSummary {
  return {
    traceId: s.traceId,
    rootSpanId: s.spanId,
    name: s.name,
    route: s.route,
    cluster: s.cluster,
    status: s.httpStatus,
    responseFlags: s.responseFlags,
    durationMs: s.durationMs,
    startTime: s.startTime.toISOString(),
    nodeId: s.nodeId,
    spanCount: s.spanCount,
    error: s.status === "error",
  };
}

export type TWaterfallSpan = {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: string;
  nodeId: string;
  /** From the trace's first span start, in ms. */
  offsetMs: number;
  durationMs: number;
  depth: number;
  status: string;
  attributes: Record<string, unknown>;
};

/**
 * Orders a trace's spans depth-first from its roots (spans whose parent we do not hold)
 * with their offset from the first start, exact to the nanosecond the nodes sent.
 */
export function waterfall(spans: readonly TStoredSpan[]): { traceId: string; durationMs: number; spans: TWaterfallSpan[] } {
  const t0 = spans.reduce((m, s) => (BigInt(s.startUnixNano) < m ? BigInt(s.startUnixNano) : m), BigInt(spans[0]!.startUnixNano));
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, TStoredSpan[]>();
  const roots: TStoredSpan[] = [];
  for (const s of spans) {
    if (s.parentSpanId && ids.has(s.parentSpanId)) {
      const list = children.get(s.parentSpanId) ?? [];
      list.push(s);
      children.set(s.parentSpanId, list);
    } else roots.push(s);
  }
  const byStart = (a: TStoredSpan, b: TStoredSpan) => (BigInt(a.startUnixNano) < BigInt(b.startUnixNano) ? -1 : 1);
  const out: TWaterfallSpan[] = [];
  const visit = (s: TStoredSpan, depth: number) => {
    out.push({
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      name: s.name,
      kind: s.kind,
      nodeId: s.nodeId,
      offsetMs: Number(BigInt(s.startUnixNano) - t0) / 1e6,
      durationMs: s.durationMs,
      depth,
      status: s.status,
      attributes: (s.attributes ?? {}) as Record<string, unknown>,
    });
    for (const c of (children.get(s.spanId) ?? []).sort(byStart)) visit(c, depth + 1);
  };
  for (const r of roots.sort(byStart)) visit(r, 0);
  const end = out.reduce((m, s) => Math.max(m, s.offsetMs + s.durationMs), 0);
  return { traceId: spans[0]!.traceId, durationMs: end, spans: out };
}
