"use client";
import Link from "next/link";
import { fmtMs, fmtPct, fmtRate } from "../lib/telemetry-format.ts";
import { TableHead } from "./ui.tsx";

export type TFiguresRow = {
  name: string;
  requests: number;
  rps: number;
  errorRatio: number;
  statusClasses: Record<"1xx" | "2xx" | "3xx" | "4xx" | "5xx", number>;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
};

/** Routes or clusters with their figures over the window; names link to their dashboards. */
export function FiguresTable({ rows, kind, testId }: { rows: TFiguresRow[]; kind: "route" | "cluster"; testId: string }) {
  if (!rows.length) return <div className="empty">No traffic in this window yet.</div>;
  return (
    <table className="table" data-testid={testId}>
      <TableHead columns={["{kind === \"route\" ? \"Route\" : \"Cluster\"}", { label: "Requests", num: true }, { label: "Rate", num: true }, { label: "2xx / 4xx / 5xx", num: true }, { label: "Error ratio", num: true }, { label: "p50", num: true }, { label: "p95", num: true }, { label: "p99", num: true }]} />
      <tbody>
        {rows.map((r) => (
          <tr key={r.name} data-name={r.name}>
            <td>
              {r.name === "" ? (
                <span className="muted">(no route)</span>
              ) : (
                <Link href={`/dashboards/${kind === "route" ? "routes" : "clusters"}/${encodeURIComponent(r.name)}`}>{r.name}</Link>
              )}
            </td>
            <td className="num" data-testid="requests">{r.requests}</td>
            <td className="num">{fmtRate(r.rps)}</td>
            <td className="num small">
              {r.statusClasses["2xx"]} / {r.statusClasses["4xx"]} / <span className={r.statusClasses["5xx"] ? "text-error" : ""}>{r.statusClasses["5xx"]}</span>
            </td>
            <td className="num" data-testid="error-ratio">{fmtPct(r.errorRatio)}</td>
            <td className="num">{fmtMs(r.p50Ms)}</td>
            <td className="num">{fmtMs(r.p95Ms)}</td>
            <td className="num" data-testid="p99">{fmtMs(r.p99Ms)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
