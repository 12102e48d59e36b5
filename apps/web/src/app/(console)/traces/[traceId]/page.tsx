"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useState } from "react";
import { fmtMs } from "../../../../lib/telemetry-format.ts";
import { useTRPC } from "../../../../lib/trpc.ts";
import { ErrorBanner } from "../../../../components/ui.tsx";
import { WhyPanel } from "../../../../components/why-panel.tsx";

/** One trace as a waterfall: spans nested under their parents, bars on one time axis. */
export default function TracePage() {
  const { traceId } = useParams<{ traceId: string }>();
  const trpc = useTRPC();
  const trace = useQuery(trpc.telemetry.trace.queryOptions({ traceId }));
  const [open, setOpen] = useState<string | null>(null);
  const total = trace.data?.durationMs || 1;
  return (
    <>
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link href="/traces">Traces</Link> /
          </p>
          <h1 className="mono">{traceId}</h1>
          {trace.data && (
            <p className="muted">
              {trace.data.spans.length} spans, {fmtMs(trace.data.durationMs)}
            </p>
          )}
        </div>
      </div>
      <ErrorBanner error={trace.isError && trace.error} />
      {trace.data && <WhyPanel traceId={traceId} />}
      {trace.data && (
        <div className="card waterfall" data-testid="waterfall">
          {trace.data.spans.map((s) => (
            <div key={s.spanId} className="wf-row-wrap">
              <button type="button" className="wf-row" onClick={() => setOpen(open === s.spanId ? null : s.spanId)} aria-expanded={open === s.spanId} data-span-kind={s.kind}>
                <span className="wf-name" style={{ paddingLeft: 12 * s.depth }}>
                  <span className={`tag ${s.kind === "server" ? "tag-route" : "tag-redirect"}`}>{s.kind}</span> {s.name}
                  <span className="muted small"> · {s.nodeId}</span>
                </span>
                <span className="wf-track">
                  <span
                    className={`wf-bar ${s.status === "error" ? "wf-error" : ""}`}
                    style={{ left: `${(s.offsetMs / total) * 100}%`, width: `${Math.max(0.5, (s.durationMs / total) * 100)}%` }}
                  />
                </span>
                <span className="wf-dur num">{fmtMs(s.durationMs)}</span>
              </button>
              {open === s.spanId && (
                <dl className="wf-attrs small">
                  <dt>span id</dt>
                  <dd className="mono">{s.spanId}</dd>
                  <dt>parent</dt>
                  <dd className="mono">{s.parentSpanId ?? "—"}</dd>
                  {Object.entries(s.attributes).map(([k, v]) => (
                    <span key={k} className="wf-attr">
                      <dt>{k}</dt>
                      <dd className="mono">{String(v)}</dd>
                    </span>
                  ))}
                </dl>
              )}
            </div>
          ))}
        </div>
      )}
    </>
  );
}
