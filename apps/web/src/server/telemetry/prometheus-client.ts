import { AppError } from "../services/app-error.ts";
import { consoleMetrics } from "./console-metrics.ts";

/**
 * A small client of Prometheus's HTTP API (/api/v1/query and /api/v1/query_range). Every
 * failure is one AppError TELEMETRY_UNAVAILABLE (HTTP 503) whose message says what went
 * wrong and where ("Prometheus unreachable at URL: ..."), so dashboards show that instead
 * of empty charts. Each query is bounded twice: `timeout` asks Prometheus to give up,
 * and the request itself is aborted a little later.
 */
export type TPromSeries = { labels: Record<string, string>; values: [number, number][] };

export type TPrometheusClient = {
  readonly url: string;
  /** An instant query at `timeS` (unix seconds). */
  query(expr: string, timeS: number): Promise<TPromSeries[]>;
  /** A range query: evaluated at start, start + step, ... <= end (unix seconds). */
  queryRange(expr: string, startS: number, endS: number, stepS: number): Promise<TPromSeries[]>;
};

type TAnswer = {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: { metric?: Record<string, string>; value?: [number, string]; values?: [number, string][] }[] };
};

export function createPrometheusClient(opts: { url: string; timeoutMs: number }): TPrometheusClient {
  const base = opts.url.replace(/\/+$/, "");
  const post = async (path: string, params: Record<string, string>): Promise<TPromSeries[]> => {
    const body = new URLSearchParams({ ...params, timeout: `${Math.max(1, Math.floor(opts.timeoutMs / 1000))}s` });
    let res: Response;
    let answer: TAnswer;
    try {
      res = await fetch(`${base}${path}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs + 500),
      });
      answer = (await res.json().catch(() => ({}))) as TAnswer;
    } catch (err) {
      consoleMetrics.prometheusQueries({ result: "unreachable" });
      const reason = err instanceof Error && err.name === "TimeoutError" ? `no answer within ${opts.timeoutMs} ms` : causeOf(err);
      throw new AppError("TELEMETRY_UNAVAILABLE", `Prometheus unreachable at ${base}: ${reason}`, [], { prometheus: base }, { cause: err });
    }
    if (!res.ok || answer.status !== "success") {
      consoleMetrics.prometheusQueries({ result: "refused" });
      const what = answer.error ? `${answer.errorType ?? "error"}: ${answer.error}` : `HTTP ${res.status} ${res.statusText}`;
      throw new AppError("TELEMETRY_UNAVAILABLE", `Prometheus at ${base} could not answer a query (${what})`, [], { prometheus: base });
    }
    consoleMetrics.prometheusQueries({ result: "ok" });
    return (answer.data?.result ?? []).map((r) => ({
      labels: r.metric ?? {},
      values: (r.values ?? (r.value ? [r.value] : [])).map(([t, v]) => [t, Number(v)] as [number, number]),
    }));
  };
  return {
    url: base,
    query: (expr, timeS) => post("/api/v1/query", { query: expr, time: String(timeS) }),
    queryRange: (expr, startS, endS, stepS) => post("/api/v1/query_range", { query: expr, start: String(startS), end: String(endS), step: String(stepS) }),
  };
}

/** fetch() hides the socket error in `cause` ("fetch failed"): the code (ECONNREFUSED...) is what an operator needs. */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? ` (${cause.message})` : ""}`;
  return cause?.message ?? (err instanceof Error ? err.message : String(err));
}
