"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { fmtMs } from "../lib/telemetry-format.ts";
import type { inferRouterOutputs } from "@trpc/server";
import { useTRPC } from "../lib/trpc.ts";
import type { AppRouter } from "../server/api/root.ts";
import { ErrorBanner } from "./ui.tsx";

const STATE_CLASS = { healthy: "status-up", unhealthy: "status-down", ejected: "status-down", unknown: "" } as const;

/**
 * "Why this 503": what happened to one sampled request in words — the response flag,
 * the endpoint tried and its health / ejection state at that moment, the retries, the
 * route and version that served it — and what to change.
 */
export function WhyPanel({ traceId }: { traceId: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.telemetry.explain.queryOptions({ traceId }));
  return <WhyView data={q.data} error={q.isError && q.error} pending={q.isPending} />;
}

/** The same panel for one pasted access-log line (and the node that wrote it, if known). */
export function WhyFromLog({ line, nodeId }: { line: string; nodeId: string }) {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.telemetry.explainLog.queryOptions({ line, ...(nodeId ? { nodeId } : {}) }), retry: false });
  return <WhyView data={q.data} error={q.isError && q.error} pending={q.isPending} />;
}

type TExplained = inferRouterOutputs<AppRouter>["telemetry"]["explain"];

function WhyView({ data: d, error, pending }: { data: TExplained | undefined; error: Parameters<typeof ErrorBanner>[0]["error"]; pending: boolean }) {
  return (
    <section className="card why-panel" id="why" aria-labelledby="why-title" data-testid="why-panel">
      <h2 id="why-title">{d && d.status < 500 && d.flags.length === 0 ? "What happened" : `Why this ${d?.status ?? "failure"}`}</h2>
      <ErrorBanner error={error} />
      {pending && !error && <p className="muted">Loading…</p>}
      {d && (
        <>
          <p className="why-headline" data-testid="why-headline">
            {d.headline}
          </p>
          <dl className="why-facts">
            {d.flags.length > 0 && (
              <>
                <dt>Response flag</dt>
                <dd data-testid="why-flags">
                  {d.flags.map((f) => (
                    <div key={f.code}>
                      <code>{f.code}</code> {f.words}
                    </div>
                  ))}
                </dd>
              </>
            )}
            <dt>Endpoint tried</dt>
            <dd data-testid="why-endpoint">
              {d.endpoint ? (
                <>
                  <code>{d.endpoint.endpoint}</code>{" "}
                  <span className={`status ${STATE_CLASS[d.endpoint.state]}`}>
                    {d.endpoint.state === "unknown" ? "no health transition recorded" : d.endpoint.state === "healthy" && d.endpoint.reason === "added" ? "in rotation (no failed check or ejection recorded)" : d.endpoint.state}
                  </span>
                  {d.endpoint.since !== null && (
                    <span className="muted small">
                      {" "}
                      since {new Date(d.endpoint.since).toLocaleTimeString()} ({d.endpoint.reason})
                    </span>
                  )}
                </>
              ) : (
                <span className="muted">none (the request never reached a cluster)</span>
              )}
              {d.endpoints.length > 1 && (
                <div className="small muted">
                  Other endpoints on {d.nodeId} then:{" "}
                  {d.endpoints
                    .filter((e) => e.endpoint !== d.endpoint?.endpoint)
                    .map((e) => `${e.endpoint} ${e.state === "unknown" ? "(no transition)" : e.state}`)
                    .join(", ")}
                </div>
              )}
            </dd>
            {d.breaker && (
              <>
                <dt>Circuit breaker</dt>
                <dd>open: limits {Object.entries(d.breaker).map(([k, v]) => `${k} ${v}`).join(", ") || "at their defaults"}</dd>
              </>
            )}
            <dt>Retries</dt>
            <dd data-testid="why-retries">
              {d.retries.taken} taken
              {d.retries.allowed !== null ? ` of ${d.retries.allowed} allowed` : ""}
              {d.retries.retryOn.length > 0 ? ` (retryOn: ${d.retries.retryOn.join(", ")})` : ""}
              {d.tries.length > 0 && (
                <ol className="small why-tries">
                  {d.tries.map((t) => (
                    <li key={t.attempt}>
                      <code>{t.host || "?"}</code> → {t.status || "no answer"} {t.flags && t.flags !== "-" ? <code>{t.flags}</code> : null} in {fmtMs(t.durationMs)}
                    </li>
                  ))}
                </ol>
              )}
            </dd>
            <dt>Route and version</dt>
            <dd data-testid="why-route">
              {d.route ? (
                <>
                  route <strong>{d.route}</strong>
                  {d.cluster && (
                    <>
                      {" "}
                      → cluster <Link href={`/clusters/${encodeURIComponent(d.cluster)}`}>{d.cluster}</Link>
                    </>
                  )}
                </>
              ) : (
                "no route"
              )}
              {d.version && (
                <>
                  {" "}
                  on <Link href={`/versions?compare=${d.version.version}`}>v{d.version.version}</Link>
                  {!d.version.exact && <span className="muted small"> (latest published before the request)</span>}
                </>
              )}{" "}
              · node {d.traceId === null && d.nodeId === "(not given)" ? <span className="muted">not given</span> : <Link href={`/nodes/${encodeURIComponent(d.nodeId)}`}>{d.nodeId}</Link>} ·{" "}
              {fmtMs(d.durationMs)}
              {d.traceId === null && <div className="small muted">From the access-log line alone: the request was not sampled (no stored trace).</div>}
            </dd>
          </dl>
          {d.advice.length > 0 && (
            <>
              <h3>What to change</h3>
              <ul className="why-advice" data-testid="why-advice">
                {d.advice.map((a, n) => (
                  <li key={n}>{a}</li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}
