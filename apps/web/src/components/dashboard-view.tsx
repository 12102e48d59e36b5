"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useLiveTelemetry } from "../lib/live.tsx";
import { fmtMs, fmtPct, fmtRate } from "../lib/telemetry-format.ts";
import { useTRPC } from "../lib/trpc.ts";
import { DashboardCharts } from "./charts/dashboard-charts.tsx";
import { LiveBadge, RangePicker } from "./range-picker.tsx";
import { ErrorBanner, TableHead } from "./ui.tsx";

/**
 * One dashboard: headline figures over the range, then the three charts. `name` absent =
 * every route merged (the overview). Clicking a latency point opens the traces of that
 * moment that were slower than the range's p95.
 */
export function DashboardView({ kind, name, title, subtitle, children }: { kind: "route" | "cluster"; name?: string; title: string; subtitle?: string; children?: React.ReactNode }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [rangeS, setRangeS] = useState(900);
  const live = useLiveTelemetry();
  const series = useQuery({
    ...trpc.telemetry.series.queryOptions({ kind, rangeS, ...(name !== undefined ? { name } : {}) }),
    // Fallback poll in case the live stream is down; the subscription normally refreshes first.
    refetchInterval: 10_000,
    placeholderData: (prev) => prev,
  });
  const markers = useQuery({ ...trpc.telemetry.markers.queryOptions({ rangeS }), refetchInterval: 10_000, placeholderData: (prev) => prev });
  const total = series.data?.total;
  const slowHref = (extra = "") => {
    const p = new URLSearchParams();
    if (kind === "route" && name !== undefined) p.set("route", name);
    if (total?.p95Ms) p.set("minMs", String(Math.floor(total.p95Ms)));
    return `/traces?${p.toString()}${extra}`;
  };

  // A spike on the error chart leads to its failed requests; each explains itself ("why?").
  const failedHref = (sinceS: number) => {
    const p = new URLSearchParams({ status: "5xx", sinceS: String(sinceS) });
    if (kind === "route" && name !== undefined) p.set("route", name);
    return `/traces?${p.toString()}`;
  };

  return (
    <>
      <div className="page-head">
        <div>
          <h1>{title}</h1>
          {subtitle && <p className="muted">{subtitle}</p>}
        </div>
        <div className="head-tools">
          <LiveBadge {...live} />
          <RangePicker value={rangeS} onChange={setRangeS} />
        </div>
      </div>
      <ErrorBanner error={series.isError && series.error} />
      {total && (
        <div className="kpi-row" data-testid="headline">
          <div className="kpi card">
            <span className="kpi-label">Requests</span>
            <span className="kpi-value" data-testid="headline-requests">{total.requests}</span>
            <span className="muted small">{fmtRate(total.rps)}</span>
          </div>
          <div className="kpi card">
            <span className="kpi-label">Error ratio (5xx)</span>
            <span className={`kpi-value ${total.errorRatio > 0.05 ? "text-error" : ""}`} data-testid="headline-error-ratio">
              {fmtPct(total.errorRatio)}
            </span>
            <span className="muted small">{total.statusClasses["5xx"]} of {total.requests}</span>
          </div>
          <div className="kpi card">
            <span className="kpi-label">p50 / p95</span>
            <span className="kpi-value">
              {fmtMs(total.p50Ms)} / {fmtMs(total.p95Ms)}
            </span>
          </div>
          <div className="kpi card">
            <span className="kpi-label">p99</span>
            <span className="kpi-value" data-testid="headline-p99">{fmtMs(total.p99Ms)}</span>
            <Link className="small" href={slowHref()} data-testid="slow-link">
              slow requests →
            </Link>
          </div>
        </div>
      )}
      {series.data && (
        <DashboardCharts
          data={series.data}
          markers={markers.data?.markers ?? []}
          onSlowClick={(t, stepS) => router.push(slowHref(`&sinceS=${Math.max(60, Math.ceil((Date.now() - t) / 1000) + stepS)}`))}
          onErrorClick={(t, stepS) => router.push(failedHref(Math.max(60, Math.ceil((Date.now() - t) / 1000) + stepS)))}
        />
      )}
      {children}
      {series.data && kind === "cluster" && name !== undefined && (
        <section className="card">
          <h2>Endpoint health events</h2>
          {series.data.health.length === 0 ? (
            <p className="muted">No health transitions in this range.</p>
          ) : (
            <table className="table" data-testid="health-events">
              <TableHead columns={["When", "Node", "Endpoint", "State", "Reason"]} />
              <tbody>
                {series.data.health.map((h, i) => (
                  <tr key={i}>
                    <td className="small">{new Date(h.at).toLocaleTimeString()}</td>
                    <td>{h.nodeId}</td>
                    <td className="mono">{h.endpoint}</td>
                    <td>
                      <span className={`status ${h.healthy ? "status-up" : "status-down"}`}>{h.healthy ? "healthy" : "unhealthy"}</span>
                    </td>
                    <td className="small">{h.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </>
  );
}
