"use client";
import { fmtMs, fmtPct, fmtRate } from "../../lib/telemetry-format.ts";
import type { TChartMarker } from "../../lib/chart-markers.ts";
import { MarkerLegend, TimeChart } from "./time-chart.tsx";

export type TSeriesData = {
  stepS: number;
  from: number;
  to: number;
  points: { t: number; rps: number; c2xx: number; c3xx: number; c4xx: number; c5xx: number; errorRatio: number; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null; requests: number }[];
};

/** Request rate by status class, error rate, and p50 / p95 / p99 latency, with version markers. */
export function DashboardCharts({
  data,
  markers,
  onSlowClick,
  onErrorClick,
}: {
  data: TSeriesData;
  markers: TChartMarker[];
  onSlowClick?: (t: number, stepS: number) => void;
  onErrorClick?: (t: number, stepS: number) => void;
}) {
  const rate = data.points.map((p) => ({
    t: p.t,
    "2xx": p.c2xx / data.stepS,
    "3xx": p.c3xx / data.stepS,
    "4xx": p.c4xx / data.stepS,
    "5xx": p.c5xx / data.stepS,
  }));
  const errors = data.points.map((p) => ({
    t: p.t,
    "5xx ratio": p.requests ? p.errorRatio : null,
    "4xx ratio": p.requests ? p.c4xx / p.requests : null,
  }));
  const latency = data.points.map((p) => ({ t: p.t, p50: p.p50Ms, p95: p.p95Ms, p99: p.p99Ms }));
  const range = { from: data.from, to: data.to, markers };
  return (
    <>
    <MarkerLegend {...range} />
    <div className="chart-grid">
      <TimeChart
        title="Request rate by status class"
        testId="chart-rate"
        data={rate}
        stacked
        format={fmtRate}
        lines={[
          { key: "2xx", label: "2xx", color: "#1d7a46" },
          { key: "3xx", label: "3xx", color: "#7a8795" },
          { key: "4xx", label: "4xx", color: "#d08a00" },
          { key: "5xx", label: "5xx", color: "#c4302b" },
        ]}
        {...range}
      />
      <TimeChart
        title={onErrorClick ? "Error rate (click a point for its failed requests and why)" : "Error rate"}
        testId="chart-errors"
        {...(onErrorClick ? { onPointClick: (t: number) => onErrorClick(t, data.stepS) } : {})}
        data={errors}
        format={fmtPct}
        lines={[
          { key: "5xx ratio", label: "5xx / requests", color: "#c4302b" },
          { key: "4xx ratio", label: "4xx / requests", color: "#d08a00" },
        ]}
        {...range}
      />
      <TimeChart
        title={onSlowClick ? "Latency (click a point for its slow requests)" : "Latency"}
        testId="chart-latency"
        data={latency}
        format={(v) => fmtMs(v)}
        lines={[
          { key: "p50", label: "p50", color: "#2456d6" },
          { key: "p95", label: "p95", color: "#8a4fd1" },
          { key: "p99", label: "p99", color: "#c4302b" },
        ]}
        {...(onSlowClick ? { onPointClick: (t: number) => onSlowClick(t, data.stepS) } : {})}
        {...range}
      />
    </div>
    </>
  );
}
