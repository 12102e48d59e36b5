import { LATENCY_LAYOUT_ID, WIRE_LIMITS, type TSpan } from "@switchyard/config-model";
import type { StatsWindow } from "./stats-window.ts";

/**
 * Reports to the console over the control-plane socket (DESIGN §2 "Report"):
 * - a stats window every `intervalMs` (default 5 000), or less often while the console
 *   asks for a longer interval (statsPace: its store is behind; the window grows instead);
 * - endpoint health transitions as they happen;
 * - sampled spans in batches (every SPAN_FLUSH_MS or SPAN_BATCH spans).
 * Memory is bounded twice: spans wait in a buffer of at most SPAN_BUFFER_MAX, and the
 * control-plane client's send queue is bounded while the console is away; what either
 * drops is counted and reported in the next stats message (`dropped`, `droppedSpans`).
 */
export const DEFAULT_STATS_INTERVAL_MS = 5_000;
const SPAN_FLUSH_MS = 1_000;
const SPAN_BATCH = 256;
const SPAN_BUFFER_MAX = 4_096;

export type TTelemetrySender = {
  /** Queues a message for the console; false when it was dropped (queue full). */
  send(message: { type: "stats" | "health" | "spans" } & Record<string, unknown>): boolean;
  /** Items dropped by the send queue since the last call, by message type; resets them. */
  takeDropped(): { stats: number; spans: number; health: number };
  /** The stats interval the console asks for while its store is behind (statsPace); 0 or absent = intervalMs. */
  pace?(): number;
};

export type THealthEvent = { cluster: string; endpoint: string; healthy: boolean; reason: string; at: number };

export type TTelemetryReporter = {
  span(span: TSpan): void;
  health(events: THealthEvent[]): void;
  /** Sends the open window and buffered spans now (shutdown). */
  flush(): void;
  close(): void;
};

export function startTelemetryReporter(window: StatsWindow, sender: TTelemetrySender, intervalMs = DEFAULT_STATS_INTERVAL_MS): TTelemetryReporter {
  let spans: TSpan[] = [];
  let droppedSpans = 0;

  const flushSpans = () => {
    if (!spans.length) return;
    const batch = spans;
    spans = [];
    sender.send({ type: "spans", spans: batch });
  };
  let statsSentAt = Date.now();
  // A paced console: windows merge on the node until the asked interval has passed (nothing is dropped).
  const statsTick = () => {
    const pace = sender.pace?.() ?? 0;
    if (pace > intervalMs && Date.now() - statsSentAt < pace - intervalMs / 2) return;
    flushStats();
  };
  const flushStats = () => {
    statsSentAt = Date.now();
    const dropped = sender.takeDropped();
    const msg = window.take();
    const lostSpans = droppedSpans + dropped.spans;
    if (!msg && !lostSpans && !dropped.stats) return;
    droppedSpans = 0;
    const now = Date.now();
    const open = msg ?? { type: "stats" as const, windowStart: now - intervalMs, windowEnd: now, layout: LATENCY_LAYOUT_ID, routes: [], clusters: [] };
    // The console takes at most WIRE_LIMITS.statsEntries rows per frame: a larger window goes as several frames of the same window.
    const step = WIRE_LIMITS.statsEntries;
    const r = open.routes.length;
    for (let i = 0; i === 0 || i < r + open.clusters.length; i += step) {
      const part = { ...open, routes: open.routes.slice(i, i + step), clusters: open.clusters.slice(Math.max(0, i - r), Math.max(0, i + step - r)) };
      sender.send({ ...part, ...(i === 0 ? { dropped: dropped.stats, droppedSpans: lostSpans } : { dropped: 0, droppedSpans: 0 }) });
    }
  };
  const statsTimer = setInterval(statsTick, intervalMs);
  const spanTimer = setInterval(flushSpans, SPAN_FLUSH_MS);
  statsTimer.unref();
  spanTimer.unref();

  return {
    span(span) {
      if (spans.length >= SPAN_BUFFER_MAX) {
        droppedSpans++;
        return;
      }
      spans.push(span);
      if (spans.length >= SPAN_BATCH) flushSpans();
    },
    health(events) {
      if (events.length) sender.send({ type: "health", events });
    },
    flush() {
      flushSpans();
      flushStats();
    },
    close() {
      clearInterval(statsTimer);
      clearInterval(spanTimer);
    },
  };
}

/** Endpoint set changes between two applied versions, as health transitions (added = healthy, removed = unhealthy). */
export function endpointTransitions(
  before: ReadonlyMap<string, { endpoints: readonly { hostPort: string }[] }> | null,
  after: ReadonlyMap<string, { endpoints: readonly { hostPort: string }[] }>,
  at = Date.now(),
): THealthEvent[] {
  const out: THealthEvent[] = [];
  const set = (m: ReadonlyMap<string, { endpoints: readonly { hostPort: string }[] }> | null, name: string) =>
    new Set(m?.get(name)?.endpoints.map((e) => e.hostPort) ?? []);
  const names = new Set([...(before?.keys() ?? []), ...after.keys()]);
  for (const cluster of names) {
    const was = set(before, cluster);
    const is = set(after, cluster);
    for (const endpoint of is) if (!was.has(endpoint)) out.push({ cluster, endpoint, healthy: true, reason: "added", at });
    for (const endpoint of was) if (!is.has(endpoint)) out.push({ cluster, endpoint, healthy: false, reason: "removed", at });
  }
  return out;
}

type TClusterEndpoints = { readonly name: string; readonly endpoints: readonly { hostPort: string }[] };

/**
 * Remembers the endpoint sets last reported and turns each new look at the clusters
 * (after a version is applied, or when discovery — DNS, EDS, Kubernetes, Consul —
 * changes a set in place) into membership transitions.
 */
export function createEndpointTracker(): (clusters: Iterable<TClusterEndpoints>, at?: number) => THealthEvent[] {
  let last: ReadonlyMap<string, TClusterEndpoints> | null = null;
  return (clusters, at = Date.now()) => {
    // Copy the sets: discovery swaps endpoints in place on the same cluster object.
    const now = new Map<string, TClusterEndpoints>();
    for (const c of clusters) now.set(c.name, { name: c.name, endpoints: c.endpoints.map((e) => ({ hostPort: e.hostPort })) });
    const events = endpointTransitions(last, now, at);
    last = now;
    return events;
  };
}
