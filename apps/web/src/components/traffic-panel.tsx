"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Area, AreaChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { MarkerLegend, markerReferenceLines } from "./charts/time-chart.tsx";
import { useLiveTelemetry } from "../lib/live.tsx";
import { fmtClock, fmtMs, fmtPct, fmtRate } from "../lib/telemetry-format.ts";
import { useTRPC } from "../lib/trpc.ts";
import { LiveBadge } from "./range-picker.tsx";

/** The Overview's window: the last 15 minutes (one of the dashboards' ranges, so the query is shared with /dashboards at 15m). */
export const TRAFFIC_WINDOW_S = 900;

/**
 * Overview traffic panel (issue #6): request rate, 5xx and 4xx ratios and p99 over the
 * last 15 minutes, every route on every node merged. It reads #7's `telemetry.series`
 * (all routes, 10 s steps), whose `total` is computed on the server from the MERGED
 * latency histograms — the same figures as `GET /api/v1/metrics/routes?window=900`
 * summed over routes — never an average of per-node or per-route percentiles. The
 * sparkline is the request rate per 10 s step. Refreshed by the live subscription
 * (`useLiveTelemetry`), with a 10 s poll as fallback.
 */
export function TrafficPanel() {
  const trpc = useTRPC();
  const live = useLiveTelemetry();
  const q = useQuery({
    ...trpc.telemetry.series.queryOptions({ kind: "route", rangeS: TRAFFIC_WINDOW_S }),
    refetchInterval: 10_000,
    placeholderData: (prev) => prev,
  });
  const markers = useQuery({ ...trpc.telemetry.markers.queryOptions({ rangeS: TRAFFIC_WINDOW_S }), refetchInterval: 10_000, placeholderData: (prev) => prev });
  const total = q.data?.total;
  const stepS = q.data?.stepS ?? 10;
  const spark = (q.data?.points ?? []).map((p) => ({ t: p.t, rps: p.requests / stepS }));
  const c4xx = total?.statusClasses["4xx"] ?? 0;
  const c5xx = total?.statusClasses["5xx"] ?? 0;

  return (
    <section className="card traffic-panel" aria-label="Traffic, last 15 minutes" data-testid="traffic-panel">
      <div className="traffic-head">
        <h2>Traffic, last 15 minutes</h2>
        <div className="head-tools">
          <LiveBadge {...live} />
          <Link href="/dashboards" className="small">
            Dashboards →
          </Link>
        </div>
      </div>
      {q.isError && (
        <p className="banner banner-error" role="alert" data-testid="traffic-error">
          Could not load traffic figures: {q.error.message}
        </p>
      )}
      {q.isPending && (
        <p className="muted" aria-busy="true" data-testid="traffic-loading">
          Loading traffic…
        </p>
      )}
      {total && total.requests === 0 && (
        <p className="muted" data-testid="traffic-empty">
          No traffic in the last 15 minutes. Figures appear here within a stats window (5 s) of the first request through a connected proxy.
        </p>
      )}
      {total && total.requests > 0 && (
        <div className="traffic-body">
          <div className="traffic-kpis">
            <div className="kpi">
              <span className="kpi-label">Request rate</span>
              <span className="kpi-value" data-testid="traffic-rps">{fmtRate(total.rps)}</span>
              <span className="muted small">
                <span data-testid="traffic-requests">{total.requests}</span> requests
              </span>
            </div>
            <div className="kpi">
              <span className="kpi-label">Error rate (5xx)</span>
              <span className={`kpi-value ${total.errorRatio > 0.05 ? "text-error" : ""}`} data-testid="traffic-error-ratio">
                {fmtPct(total.errorRatio)}
              </span>
              <span className="muted small">
                {c5xx} 5xx · <span data-testid="traffic-4xx-ratio">{fmtPct(c4xx / total.requests)}</span> 4xx ({c4xx})
              </span>
            </div>
            <div className="kpi">
              <span className="kpi-label">p99 latency</span>
              <span className="kpi-value" data-testid="traffic-p99">{fmtMs(total.p99Ms)}</span>
              <span className="muted small">all nodes, merged histograms</span>
            </div>
          </div>
          <figure className="traffic-spark" data-testid="traffic-sparkline" aria-label="Request rate, last 15 minutes">
            <ResponsiveContainer width="100%" height={64}>
              <AreaChart data={spark} margin={{ top: 4, right: 0, bottom: 0, left: 0 }}>
                <XAxis hide dataKey="t" type="number" domain={[q.data!.from, q.data!.to]} scale="time" />
                <YAxis hide domain={[0, "auto"]} />
                <Tooltip labelFormatter={(_, p) => (p[0] ? fmtClock(Number((p[0].payload as { t: number }).t)) : "")} formatter={(v) => [typeof v === "number" ? fmtRate(v) : String(v), "requests"]} />
                <Area type="monotone" dataKey="rps" stroke="#2456d6" fill="#2456d6" fillOpacity={0.18} strokeWidth={1.5} isAnimationActive={false} />
                {markerReferenceLines(markers.data?.markers ?? [], q.data!.from, q.data!.to, false)}
              </AreaChart>
            </ResponsiveContainer>
            <figcaption className="muted small">requests per second, {stepS} s steps</figcaption>
            <MarkerLegend markers={markers.data?.markers ?? []} from={q.data!.from} to={q.data!.to} max={6} />
          </figure>
        </div>
      )}
    </section>
  );
}
