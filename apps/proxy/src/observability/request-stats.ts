import type { Metric } from "prom-client";

/**
 * The two per-request series (switchyard_http_requests_total and
 * switchyard_http_request_duration_seconds) kept in plain numbers.
 *
 * Why not prom-client's own Counter/Histogram: even a "bound" child (`.labels(...)`)
 * re-validates and re-hashes its label object on every inc()/observe(). Here a request
 * costs three Map lookups on config-name strings (cached per route after the first), an
 * array increment and a bucket search; the prom-client text and JSON (which the
 * AggregatorRegistry merges for --workers N) are built only when someone scrapes.
 * The objects returned by `metrics()` implement what prom-client's Registry calls on a
 * metric (name, get, reset), so they sit in the same registry as every other metric.
 */

type TLabels = { listener: string; route: string; cluster: string };
/** The shape prom-client's Registry reads from `metric.get()` (MetricObjectWithValues, with metricName for histogram lines). */
type TValue = { labels: Record<string, string | number>; value: number; metricName?: string };
type TMetricJson = { name: string; help: string; type: string; aggregator: string; values: TValue[] };

export type TRequestSeries = {
  readonly labels: TLabels;
  /** Requests by status class 1xx..5xx. */
  readonly classes: number[];
  /** Non-cumulative counts per upper bound; the last slot is above every bound (+Inf). */
  readonly buckets: number[];
  sum: number;
  count: number;
};

const CODE_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

export class RequestStats {
  readonly #bounds: readonly number[];
  /** listener -> route -> cluster -> series: no key string is built per request. */
  readonly #series = new Map<string, Map<string, Map<string, TRequestSeries>>>();
  readonly #all: TRequestSeries[] = [];

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
  }

  series(listener: string, route: string, cluster: string): TRequestSeries {
    let byRoute = this.#series.get(listener);
    if (!byRoute) this.#series.set(listener, (byRoute = new Map()));
    let byCluster = byRoute.get(route);
    if (!byCluster) byRoute.set(route, (byCluster = new Map()));
    let s = byCluster.get(cluster);
    if (!s) {
      s = { labels: { listener, route, cluster }, classes: [0, 0, 0, 0, 0], buckets: new Array<number>(this.#bounds.length + 1).fill(0), sum: 0, count: 0 };
      byCluster.set(cluster, s);
      this.#all.push(s);
    }
    return s;
  }

  /** status 0 (client gone before a response) is timed but counted in no class. */
  record(s: TRequestSeries, status: number, seconds: number): void {
    const cls = ((status / 100) | 0) - 1;
    if (cls >= 0 && cls < 5) (s.classes[cls] as number)++;
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && seconds > (bounds[i] as number)) i++;
    (s.buckets[i] as number)++;
    s.sum += seconds;
    s.count++;
  }

  /** The two metrics, for registry.registerMetric. */
  metrics(names: { requests: { name: string; help: string }; duration: { name: string; help: string } }): Metric[] {
    const all = this.#all;
    const bounds = this.#bounds;
    const requests = (): TMetricJson => ({
      ...names.requests,
      type: "counter",
      aggregator: "sum",
      values: all.flatMap((s) =>
        CODE_CLASSES.flatMap((code_class, i) => ((s.classes[i] as number) > 0 ? [{ labels: { ...s.labels, code_class }, value: s.classes[i] as number }] : [])),
      ),
    });
    const duration = (): TMetricJson => ({
      ...names.duration,
      type: "histogram",
      aggregator: "sum",
      values: all.flatMap((s) => {
        let acc = 0;
        const out: TValue[] = bounds.map((le, i) => {
          acc += s.buckets[i] as number;
          return { labels: { ...s.labels, le }, value: acc, metricName: `${names.duration.name}_bucket` };
        });
        out.push({ labels: { ...s.labels, le: "+Inf" }, value: s.count, metricName: `${names.duration.name}_bucket` });
        out.push({ labels: { ...s.labels }, value: s.sum, metricName: `${names.duration.name}_sum` });
        out.push({ labels: { ...s.labels }, value: s.count, metricName: `${names.duration.name}_count` });
        return out;
      }),
    });
    const reset = () => {
      for (const s of all) {
        s.classes.fill(0);
        s.buckets.fill(0);
        s.sum = 0;
        s.count = 0;
      }
    };
    const asMetric = (name: string, help: string, get: () => TMetricJson) =>
      ({ name, help, get: async () => get(), reset, aggregator: "sum" }) as unknown as Metric;
    return [asMetric(names.requests.name, names.requests.help, requests), asMetric(names.duration.name, names.duration.help, duration)];
  }
}
