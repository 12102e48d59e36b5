import type { TGroupWindow } from "@switchyard/db";
import { prometheusLayout, roundMs, type TFigures, type TLatencyLayout, type TTrafficRow } from "./aggregate.ts";
import type { TPrometheusClient, TPromSeries } from "./prometheus-client.ts";
import { pointOf, stepFor, type TKind, type TNameFigures } from "./query.ts";
import type { TTelemetryReader } from "./reader.ts";

/**
 * The telemetry reader over Prometheus (SWITCHYARD_PROMETHEUS_URL), as Kiali reads Istio:
 * PromQL over the series Prometheus scraped from each proxy's /stats/prometheus
 * (apps/proxy/src/observability/metrics.ts):
 *   switchyard_http_requests_total{listener, route, cluster, code_class}
 *   switchyard_http_request_duration_seconds_{bucket,sum,count}{listener, route, cluster[, le]}
 * plus the target labels the console's service discovery gives every series of a node
 * (GET /api/v1/prometheus/targets): `node` (node id) and `group` (node group).
 *
 * Figures per window are `increase()` over it (chart steps: see `added`); Prometheus
 * extrapolates to the window's edges, so counts are estimates (within about a scrape
 * interval's worth of traffic). Requests are the status classes summed (a request whose
 * client left before any answer has no class and is not counted, unlike PostgreSQL mode),
 * so 5xx never exceeds them.
 * Dashboards' quantiles are PromQL's histogram_quantile over the summed buckets; the
 * topology and the SLO guard fetch the summed buckets themselves (they merge several
 * levels, or keep the histogram) and read quantiles the same way (aggregate.ts
 * histogramQuantileMs). Bytes are not exported by the proxies'
 * HTTP metrics: they read 0 in this mode.
 */
const REQUESTS = "switchyard_http_requests_total";
const DURATION = "switchyard_http_request_duration_seconds";
/** Target labels set by the console's service discovery (prometheus-targets.ts). */
export const NODE_LABEL = "node";
export const GROUP_LABEL = "group";
const QUANTILES = [0.5, 0.95, 0.99] as const;

type TWhen = { at: number; windowS: number } | { start: number; end: number; stepS: number };
/** requests = the status classes summed (one counter family, so 5xx never exceeds it); count and sumS (the histogram's) give the mean. */
type TCounters = { requests: number; classes: [number, number, number, number, number]; count: number; sumS: number; quantilesMs: (number | null)[] };

/** A PromQL label matcher list; values are quoted as PromQL (Go) string literals, which JSON strings are. */
function selector(matchers: Record<string, string>, extra: string[] = []): string {
  return `{${[...Object.entries(matchers).map(([k, v]) => `${k}=${JSON.stringify(v)}`), ...extra].join(",")}}`;
}

function kindSelector(kind: TKind, name?: string): string {
  // Cluster figures count requests sent to a cluster: local replies (cluster "") are not a cluster's.
  const m: Record<string, string> = name === undefined ? {} : { [kind]: name };
  return selector(m, kind === "cluster" && name === undefined ? ['cluster!=""'] : []);
}

/** `by (a, b, extra)`, empty groups left out (`by (, le)` does not parse). */
const grouping = (...labels: readonly string[]) => `by (${labels.filter(Boolean).join(", ")})`;

const keyOf = (labels: Record<string, string>, by: readonly string[], t: number) => `${by.map((l) => labels[l] ?? "").join("\u0000")}\u0000${t}`;

/** The ids of a group's nodes that serve a version (a stepped rollout's step): the composition root reads them from the node registry. */
export type TNodesServing = (group: string, version: number) => Promise<string[]>;

/** A PromQL regex matching exactly these ids (RE2 metacharacters escaped). */
const anyOf = (ids: readonly string[]) => ids.map((id) => id.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&")).join("|");

export function prometheusTelemetryReader(prom: TPrometheusClient, nodesServing?: TNodesServing): TTelemetryReader {
  const run = (expr: string, when: TWhen): Promise<TPromSeries[]> =>
    "at" in when ? prom.query(expr, when.at) : prom.queryRange(expr, when.start, when.end, when.stepS);
  /**
   * What one window (instant) or one step (range) added to a counter. A chart step is
   * `rate()` over two steps times the step (as Grafana's $__rate_interval does): an
   * `increase()` over exactly one step loses what happened between two scrapes that
   * straddle a step boundary, and scrape jitter on a busy Prometheus made the points sum
   * to 20 % less than the range's total; over two steps each increment is counted in two
   * points with half its weight, so the points add up to the total (a burst is spread over
   * its step and the next).
   */
  const added = (metric: string, when: TWhen) =>
    "at" in when ? `increase(${metric}[${Math.max(1, Math.round(when.windowS))}s])` : `(rate(${metric}[${2 * Math.round(when.stepS)}s]) * ${Math.round(when.stepS)})`;

  /** Requests, status classes, latency sum and (for the dashboards) the quantiles, per `by` labels (and time). */
  async function counters(by: readonly string[], sel: string, when: TWhen, withQuantiles = true): Promise<Map<string, TCounters & { labels: Record<string, string>; t: number }>> {
    const [count, classes, sum, ...quantiles] = await Promise.all([
      run(`sum ${grouping(...by)} (${added(`${DURATION}_count${sel}`, when)})`, when),
      run(`sum ${grouping(...by, "code_class")} (${added(`${REQUESTS}${sel}`, when)})`, when),
      run(`sum ${grouping(...by)} (${added(`${DURATION}_sum${sel}`, when)})`, when),
      ...(withQuantiles ? QUANTILES : []).map((q) => run(`histogram_quantile(${q}, sum ${grouping(...by, "le")} (${added(`${DURATION}_bucket${sel}`, when)}))`, when)),
    ]);
    const out = new Map<string, TCounters & { labels: Record<string, string>; t: number }>();
    // An instant answer is at the time asked for: keyed by it exactly (rows() looks buckets up by it).
    const at = (labels: Record<string, string>, answerT: number) => {
      const t = "at" in when ? when.at : answerT;
      const key = keyOf(labels, by, t);
      let c = out.get(key);
      if (!c) out.set(key, (c = { labels, t, requests: 0, classes: [0, 0, 0, 0, 0], count: 0, sumS: 0, quantilesMs: QUANTILES.map(() => null) }));
      return c;
    };
    for (const s of classes ?? []) {
      const i = Number(s.labels.code_class?.[0]) - 1;
      if (i >= 0 && i < 5) for (const [t, v] of s.values) if (v > 0) at(s.labels, t).classes[i as 0] = v;
    }
    for (const c of out.values()) c.requests = c.classes.reduce((a, b) => a + b, 0);
    const known = (labels: Record<string, string>, t: number) => out.has(keyOf(labels, by, "at" in when ? when.at : t));
    for (const s of count ?? []) for (const [t, v] of s.values) if (known(s.labels, t)) at(s.labels, t).count = v;
    for (const s of sum ?? []) for (const [t, v] of s.values) if (known(s.labels, t)) at(s.labels, t).sumS = v;
    quantiles.forEach((series, qi) => {
      for (const s of series) for (const [t, v] of s.values) if (Number.isFinite(v) && known(s.labels, t)) at(s.labels, t).quantilesMs[qi] = v * 1000;
    });
    return out;
  }

  function figuresOf(c: TCounters | undefined): TFigures {
    const requests = Math.round(c?.requests ?? 0);
    const [c1, c2, c3, c4, c5] = (c?.classes ?? [0, 0, 0, 0, 0]).map(Math.round) as [number, number, number, number, number];
    return {
      requests,
      statusClasses: { "1xx": c1, "2xx": c2, "3xx": c3, "4xx": c4, "5xx": c5 },
      errorRatio: requests ? Math.min(1, c5 / requests) : 0,
      p50Ms: roundMs(c?.quantilesMs[0] ?? null),
      p95Ms: roundMs(c?.quantilesMs[1] ?? null),
      p99Ms: roundMs(c?.quantilesMs[2] ?? null),
      meanMs: c && c.count > 0 ? roundMs((c.sumS * 1000) / c.count) : null,
      bytesIn: 0,
      bytesOut: 0,
    };
  }

  /**
   * Traffic rows per `by` labels over `windowS` ending at `atS`: counters and the summed
   * bucket increases, as non-cumulative counts in the proxies' layout (from the `le` values).
   */
  async function rows(by: readonly string[], sel: string, windowS: number, atS: number): Promise<{ rows: TTrafficRow[]; boundsMs: number[] }> {
    const when = { at: atS, windowS };
    const [c, buckets] = await Promise.all([
      counters(by, sel, when, false),
      run(`sum ${grouping(...by, "le")} (${added(`${DURATION}_bucket${sel}`, when)})`, when),
    ]);
    const boundsMs = [...new Set(buckets.map((s) => s.labels.le ?? "+Inf").filter((le) => le !== "+Inf").map((le) => Number(le) * 1000))].sort((a, b) => a - b);
    const cumulative = new Map<string, Map<number, number>>();
    for (const s of buckets) {
      const key = keyOf(s.labels, by, atS);
      const le = s.labels.le === "+Inf" || s.labels.le === undefined ? Infinity : Number(s.labels.le) * 1000;
      const m = cumulative.get(key) ?? new Map<number, number>();
      cumulative.set(key, m);
      m.set(le, s.values[0]?.[1] ?? 0);
    }
    const out: TTrafficRow[] = [];
    for (const [key, k] of c) {
      const cum = cumulative.get(key);
      const latency: [number, number][] = [];
      let prev = 0;
      [...boundsMs, Infinity].forEach((b, i) => {
        const v = Math.max(prev, cum?.get(b) ?? prev);
        if (v - prev > 0) latency.push([i, v - prev]);
        prev = v;
      });
      const [c1, c2, c3, c4, c5] = k.classes;
      out.push({
        nodeId: k.labels[NODE_LABEL] ?? "",
        name: k.labels.route ?? "",
        listener: k.labels.listener ?? "",
        cluster: k.labels.cluster ?? "",
        requests: Math.round(k.requests),
        c1xx: Math.round(c1), c2xx: Math.round(c2), c3xx: Math.round(c3), c4xx: Math.round(c4), c5xx: Math.round(c5),
        bytesIn: 0,
        bytesOut: 0,
        latencySum: k.sumS * 1000,
        latency,
      });
    }
    return { rows: out, boundsMs };
  }

  const layoutOf = (...bounds: number[][]): TLatencyLayout => prometheusLayout([...new Set(bounds.flat())].sort((a, b) => a - b));

  return {
    mode: "prometheus",
    async summarize(kind, windowS, now = Date.now()): Promise<TNameFigures[]> {
      const c = await counters([kind], kindSelector(kind), { at: now / 1000, windowS });
      return [...c.values()]
        .map((x) => ({ name: x.labels[kind] ?? "", ...figuresOf(x), rps: Math.round(x.requests) / windowS }))
        .filter((x) => x.requests > 0)
        .sort((a, b) => a.name.localeCompare(b.name));
    },
    async series(q, now = Date.now()) {
      // The same steps and point times as PostgreSQL mode: point t covers [t, t + step), so it is evaluated at t + step.
      const stepS = stepFor(q.rangeS);
      const stepMs = stepS * 1000;
      const from = Math.floor((now - q.rangeS * 1000) / stepMs) * stepMs;
      const last = from + Math.floor((now - from) / stepMs) * stepMs;
      const sel = kindSelector(q.kind, q.name);
      const [steps, total] = await Promise.all([
        counters([], sel, { start: (from + stepMs) / 1000, end: (last + stepMs) / 1000, stepS }),
        counters([], sel, { at: now / 1000, windowS: q.rangeS }),
      ]);
      const byT = new Map([...steps.values()].map((c) => [Math.round(c.t * 1000) - stepMs, c]));
      const points = [];
      for (let t = from; t <= now; t += stepMs) points.push(pointOf(t, stepS, figuresOf(byT.get(t))));
      const all = total.values().next().value;
      return { stepS, from, to: now, points, total: { name: q.name ?? "*", ...figuresOf(all), rps: Math.round(all?.requests ?? 0) / q.rangeS } };
    },
    async traffic(windowS, now = Date.now()) {
      const [routes, nodes] = await Promise.all([rows(["listener", "route", "cluster"], "", windowS, now / 1000), rows([NODE_LABEL, "listener"], "", windowS, now / 1000)]);
      return { rows: routes.rows, nodeRows: nodes.rows, layout: layoutOf(routes.boundsMs, nodes.boundsMs) };
    },
    async readGroupWindow(group, fromMs, toMs, version): Promise<TGroupWindow> {
      const atMs = Math.min(toMs, Date.now());
      const windowS = Math.round((atMs - fromMs) / 1000);
      if (windowS < 1) return { requests: 0, errors5xx: 0, histogram: null, windows: 0 };
      // A step is judged on the nodes serving its version (series carry no version label):
      // the node registry names them, the node label selects their series.
      const serving = version !== undefined && nodesServing ? await nodesServing(group, version) : null;
      if (serving && serving.length === 0) return { requests: 0, errors5xx: 0, histogram: null, windows: 0 };
      const match = selector({ [GROUP_LABEL]: group }, serving ? [`${NODE_LABEL}=~${JSON.stringify(anyOf(serving))}`] : []);
      const { rows: [row], boundsMs } = await rows([], match, windowS, atMs / 1000);
      if (!row || row.requests === 0) return { requests: 0, errors5xx: 0, histogram: null, windows: 0 };
      const counts = new Array<number>(boundsMs.length + 1).fill(0);
      for (const [i, c] of row.latency as [number, number][]) counts[i] = c;
      return { requests: row.requests, errors5xx: row.c5xx, histogram: { bounds: boundsMs, counts, sum: row.latencySum, count: row.requests }, windows: 0 };
    },
  };
}
