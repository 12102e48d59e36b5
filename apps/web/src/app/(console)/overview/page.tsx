"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { ExpiryTag } from "../../../components/certificate-details.tsx";
import { TrafficPanel } from "../../../components/traffic-panel.tsx";
import { formatAgo, formatTime } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";

export default function OverviewPage() {
  const trpc = useTRPC();
  // Kept current by the live events (versions, config edits, nodes, stored stats), not polled.
  const o = useQuery(trpc.overview.get.queryOptions());
  const d = o.data;
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Overview</h1>
          <p className="muted">The fleet, what it serves, and what changed. Updates live.</p>
        </div>
      </div>
      {o.isError && (
        <p className="banner banner-error" role="alert">
          Could not load the overview: {o.error.message}
        </p>
      )}
      {o.isPending && <p className="muted" aria-busy="true">Loading…</p>}
      {d && (
        <>
          <div className="stats" aria-label="Fleet">
            <div className="stat">
              <div className="stat-value" data-testid="live-version-overview">{d.live ? `v${d.live.version}` : "—"}</div>
              <div className="stat-label">live version{d.live ? ` · ${formatAgo(d.live.createdAt)}` : " · nothing published"}</div>
            </div>
            <div className="stat">
              <div className="stat-value">{d.fleet.connected}</div>
              <div className="stat-label">nodes connected of {d.fleet.total}</div>
            </div>
            <div className="stat">
              <div className="stat-value">{d.fleet.onLive}</div>
              <div className="stat-label">connected nodes on the live version</div>
            </div>
            <div className={`stat${d.fleet.failing ? " stat-bad" : ""}`}>
              <div className="stat-value">{d.fleet.failing}</div>
              <div className="stat-label">nodes whose last apply failed</div>
            </div>
          </div>
          <TrafficPanel />
          <div className="grid-2 gap">
            <section className="card" aria-label="Versions in use">
              <h2>Versions in use</h2>
              {d.versionsInUse.length === 0 ? (
                <p className="muted">
                  No node is connected. Start one with <code>switchyard-proxy --control-plane ws://…/api/xds --node-id ID</code>.
                </p>
              ) : (
                <ul className="plain">
                  {d.versionsInUse.map((v) => (
                    <li key={String(v.version)}>
                      <strong>{v.version === null ? "no config yet" : `v${v.version}`}</strong> on {v.count} node{v.count === 1 ? "" : "s"}
                      {d.live && v.version === d.live.version && <span className="tag tag-live">live</span>}
                    </li>
                  ))}
                </ul>
              )}
              <Link href="/nodes">All nodes →</Link>
            </section>
            <section className="card" aria-label="Certificates expiring soon">
              <h2>Certificates expiring within {d.expiryWarningDays} days</h2>
              {d.certificates.length === 0 ? (
                <p className="muted">None.</p>
              ) : (
                <ul className="plain">
                  {d.certificates.map((c) => (
                    <li key={c.name}>
                      <Link href={`/secrets/${encodeURIComponent(c.name)}`}>{c.name}</Link> <span className="mono small">{c.subject}</span> <ExpiryTag days={c.daysLeft} />
                    </li>
                  ))}
                </ul>
              )}
            </section>
            <section className="card" aria-label="Recent versions">
              <h2>Recent versions</h2>
              {d.recentVersions.length === 0 ? (
                <p className="muted">
                  Nothing published yet. <Link href="/publish">Publish the working config</Link>.
                </p>
              ) : (
                <ul className="plain">
                  {d.recentVersions.map((v) => (
                    <li key={v.version}>
                      <strong>v{v.version}</strong> {v.message} <span className="muted small">— {v.author}, {formatAgo(v.createdAt)}</span>
                    </li>
                  ))}
                </ul>
              )}
            </section>
            <section className="card" aria-label="Recent changes">
              <h2>Recent changes</h2>
              {d.recentAudit.length === 0 ? (
                <p className="muted">No changes recorded yet.</p>
              ) : (
                <ul className="plain small">
                  {d.recentAudit.map((a) => (
                    <li key={a.id} title={formatTime(a.at)}>
                      <code>{a.action}</code> {a.target ?? ""} <span className="muted">— {a.actor}, {formatAgo(a.at)}</span>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          </div>
        </>
      )}
    </>
  );
}
