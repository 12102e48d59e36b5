"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Suspense, useState, type FormEvent } from "react";
import { useLiveTelemetry } from "../../../lib/live.tsx";
import { fmtMs } from "../../../lib/telemetry-format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { LiveBadge } from "../../../components/range-picker.tsx";
import { WhyFromLog } from "../../../components/why-panel.tsx";
import { ErrorBanner, TableHead } from "../../../components/ui.tsx";

const FIELDS = ["route", "status", "flag", "minMs", "node"] as const;
type TFilters = Partial<Record<(typeof FIELDS)[number] | "sinceS", string>>;

/** Recent traces, filterable by route, status, response flag, minimum duration and node. */
function TracesInner() {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const applied: TFilters = {};
  for (const f of [...FIELDS, "sinceS"] as const) {
    const v = params.get(f);
    if (v) applied[f] = v;
  }
  const [draft, setDraft] = useState<TFilters>(applied);
  const live = useLiveTelemetry();
  const input = {
    limit: 100,
    ...(applied.route ? { route: applied.route } : {}),
    ...(applied.status ? { status: applied.status } : {}),
    ...(applied.flag ? { flag: applied.flag } : {}),
    ...(applied.minMs ? { minMs: Number(applied.minMs) } : {}),
    ...(applied.node ? { node: applied.node } : {}),
    ...(applied.sinceS ? { sinceS: Number(applied.sinceS) } : {}),
  };
  const traces = useQuery({ ...trpc.telemetry.traces.queryOptions(input), refetchInterval: 10_000, placeholderData: (p) => p });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const f of FIELDS) if (draft[f]) q.set(f, draft[f] as string);
    router.push(`${pathname}?${q.toString()}`);
  };

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Traces</h1>
          <p className="muted">Sampled requests reported by the proxy nodes (kept 24 h), newest first.</p>
        </div>
        <LiveBadge {...live} />
      </div>
      <form className="card filter-bar" onSubmit={submit} aria-label="Trace filters">
        <label>
          Route <input name="route" value={draft.route ?? ""} onChange={(e) => setDraft({ ...draft, route: e.target.value })} placeholder="any" />
        </label>
        <label>
          Status <input name="status" value={draft.status ?? ""} onChange={(e) => setDraft({ ...draft, status: e.target.value })} placeholder="503 or 5xx" size={8} />
        </label>
        <label>
          Flag <input name="flag" value={draft.flag ?? ""} onChange={(e) => setDraft({ ...draft, flag: e.target.value.toUpperCase() })} placeholder="UF" size={5} />
        </label>
        <label>
          Min ms <input name="minMs" type="number" min={0} value={draft.minMs ?? ""} onChange={(e) => setDraft({ ...draft, minMs: e.target.value })} size={6} />
        </label>
        <label>
          Node <input name="node" value={draft.node ?? ""} onChange={(e) => setDraft({ ...draft, node: e.target.value })} placeholder="any" />
        </label>
        <button className="btn btn-primary" type="submit">
          Filter
        </button>
        {params.toString() && (
          <Link className="btn btn-ghost" href={pathname} onClick={() => setDraft({})}>
            Clear
          </Link>
        )}
      </form>
      <AccessLogExplainer />
      <ErrorBanner error={traces.isError && traces.error} />
      {traces.data && traces.data.length === 0 && <div className="empty">No trace matches.</div>}
      {traces.data && traces.data.length > 0 && (
        <table className="table" data-testid="traces-table">
          <TableHead columns={["Started", "Request", "Route", "Status", "Flags", { label: "Duration", num: true }, { label: "Spans", num: true }, "Node"]} />
          <tbody>
            {traces.data.map((t) => (
              <tr key={t.traceId} data-trace-id={t.traceId}>
                <td className="small">{new Date(t.startTime).toLocaleTimeString()}</td>
                <td>
                  <Link href={`/traces/${t.traceId}`} className="mono">
                    {t.name}
                  </Link>
                </td>
                <td>{t.route || <span className="muted">—</span>}</td>
                <td className={t.status >= 500 || t.status === 0 ? "text-error" : ""}>{t.status}</td>
                <td className="mono small">
                  {t.responseFlags}
                  {(t.status >= 500 || t.status === 0 || (t.responseFlags && t.responseFlags !== "-")) && (
                    <>
                      {" "}
                      <Link href={`/traces/${t.traceId}#why`} className="small" aria-label={`Why ${t.status}? (${t.name})`}>
                        why?
                      </Link>
                    </>
                  )}
                </td>
                <td className="num">{fmtMs(t.durationMs)}</td>
                <td className="num">{t.spanCount}</td>
                <td className="small">{t.nodeId}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export default function TracesPage() {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <TracesInner />
    </Suspense>
  );
}

/** "Why this 503" for a request seen in the proxy's access log: paste the line (and the node that wrote it). */
function AccessLogExplainer() {
  const [draft, setDraft] = useState({ line: "", nodeId: "" });
  const [asked, setAsked] = useState<{ line: string; nodeId: string } | null>(null);
  return (
    <details className="card" data-testid="explain-log">
      <summary>Why did this request fail? Explain an access-log line</summary>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked({ line: draft.line.trim(), nodeId: draft.nodeId.trim() });
        }}
      >
        <label className="field">
          Access-log line (JSON, as the proxy writes it)
          <textarea className="mono code-input" rows={3} value={draft.line} onChange={(e) => setDraft({ ...draft, line: e.target.value })} placeholder='{"time":"…","status":503,"responseFlags":"UF",…}' />
        </label>
        <label className="field">
          Node that wrote it (optional: narrows the endpoint states and the version)
          <input value={draft.nodeId} onChange={(e) => setDraft({ ...draft, nodeId: e.target.value })} placeholder="node id" />
        </label>
        <div className="actions">
          <button type="submit" className="btn btn-primary" disabled={!draft.line.trim()}>
            Explain
          </button>
        </div>
      </form>
      {asked && <WhyFromLog key={`${asked.line}|${asked.nodeId}`} line={asked.line} nodeId={asked.nodeId} />}
    </details>
  );
}
