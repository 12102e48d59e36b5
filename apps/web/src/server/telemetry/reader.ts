import { readGroupWindow, type Db, type TGroupWindow } from "@switchyard/db";
import { STANDARD_LAYOUT, type TLatencyLayout, type TTrafficRow } from "./aggregate.ts";
import { loadRows, series, summarize, type TKind, type TNameFigures, type TSeries } from "./query.ts";

/**
 * The one read interface over node traffic figures. Every reader of stats goes through it:
 * dashboards and GET /api/v1/metrics/* (summarize), dashboard charts and the Overview
 * sparkline (series), the topology (traffic) and the rollout SLO guard (readGroupWindow).
 *
 * Two implementations:
 * - PostgreSQL (default): the pre-aggregated StatsBucket rows the ingest stores (query.ts);
 * - Prometheus (SWITCHYARD_PROMETHEUS_URL): PromQL over the proxies' /stats/prometheus as
 *   Prometheus scraped them (prometheus-reader.ts); the console then stores no stats.
 */
export type TTraffic = {
  /** Route rows summed over every node, per (listener, route, cluster). */
  rows: TTrafficRow[];
  /** Each node's route totals per listener. */
  nodeRows: TTrafficRow[];
  layout: TLatencyLayout;
};

export type TTelemetryReader = {
  readonly mode: "postgres" | "prometheus";
  /** Per route (or cluster) name over the last `windowS` seconds, merged over every node. */
  summarize(kind: TKind, windowS: number, now?: number): Promise<TNameFigures[]>;
  /** A time series of one name (or every name of the kind), with the range's total. */
  series(q: { kind: TKind; name?: string; rangeS: number }, now?: number): Promise<TSeries>;
  /** The topology's traffic over the last `windowS` seconds. */
  traffic(windowS: number, now?: number): Promise<TTraffic>;
  /**
   * What the SLO guard reads: a group's traffic in [fromMs, toMs), histograms merged.
   * `version`: only the nodes that served it (a stepped rollout's step); omitted = the whole group.
   */
  readGroupWindow(group: string, fromMs: number, toMs: number, version?: number): Promise<TGroupWindow>;
};

export function postgresTelemetryReader(db: Db): TTelemetryReader {
  return {
    mode: "postgres",
    summarize: (kind, windowS, now) => summarize(db, kind, windowS, now),
    series: (q, now) => series(db, q, now),
    async traffic(windowS, now = Date.now()) {
      const range = { from: new Date(now - windowS * 1000), to: new Date(now + 1) };
      const [rows, nodeRows] = await Promise.all([loadRows(db, { kind: "route", ...range }), loadRows(db, { kind: "node", ...range })]);
      return { rows, nodeRows, layout: STANDARD_LAYOUT };
    },
    readGroupWindow: (group, fromMs, toMs, version) => readGroupWindow(db, group, fromMs, toMs, version),
  };
}

// The reader is bound to the Db handle every service already receives: the composition
// root (server.ts) binds the Prometheus one when configured, so no second parameter threads
// through REST, tRPC, the guard and the rollout service. Unbound: PostgreSQL.
const bound = new WeakMap<Db, TTelemetryReader>();

export function bindTelemetryReader(db: Db, reader: TTelemetryReader): void {
  bound.set(db, reader);
}

export function telemetryReader(db: Db): TTelemetryReader {
  let reader = bound.get(db);
  if (!reader) bound.set(db, (reader = postgresTelemetryReader(db)));
  return reader;
}
