"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { ChangesView } from "../../../../components/changes-view.tsx";
import { ErrorBanner } from "../../../../components/ui.tsx";
import { formatAgo, formatTime, shortHash } from "../../../../lib/format.ts";
import { useTRPC } from "../../../../lib/trpc.ts";

/**
 * One node against what it should run: the version it applied, its group's target, what
 * differs between the two (value by value), and its last refusal with the offending path
 * shown in the refused version's YAML.
 */
export default function NodePage() {
  const { id: raw } = useParams<{ id: string }>();
  const id = decodeURIComponent(raw);
  const trpc = useTRPC();
  const q = useQuery(trpc.nodes.detail.queryOptions({ id }));
  const d = q.data;
  // A node that nacked its target stays off target until a new version: say so, not "applying".
  const refusedTarget = !!d && d.lastNack !== null && d.target !== null && d.lastNack.version === d.target.version;
  const versionLink = (v: { version: number; hash: string; message: string } | null, what: string) =>
    v ? (
      <span data-testid={`${what}-version`}>
        <Link href={`/versions?compare=${v.version}`}>v{v.version}</Link> <span className="mono small muted">{shortHash(v.hash)}</span>
        <div className="small muted">{v.message}</div>
      </span>
    ) : (
      <span className="muted" data-testid={`${what}-version`}>
        none
      </span>
    );

  return (
    <>
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link href="/nodes">Nodes</Link> /
          </p>
          <h1>{id}</h1>
          {d && (
            <p className="muted">
              Group <strong>{d.node.group}</strong> · <span className={`status ${d.node.connected ? "status-up" : "status-down"}`}>{d.node.connected ? "connected" : "disconnected"}</span> · last seen{" "}
              <span title={formatTime(d.node.lastSeen)}>{formatAgo(d.node.lastSeen)}</span>
              {d.node.remoteAddress ? ` from ${d.node.remoteAddress}` : ""} · <Link href={`/traces?node=${encodeURIComponent(id)}`}>traces</Link>
            </p>
          )}
        </div>
      </div>
      <ErrorBanner error={q.isError && q.error} />
      {q.isPending && <p className="muted">Loading…</p>}
      {d && (
        <>
          <section className="card" aria-label="Applied and target versions">
            <div className="grid-2">
              <div>
                <h2>Applied</h2>
                {versionLink(d.applied, "applied")}
              </div>
              <div>
                <h2>Target of group {d.node.group}</h2>
                {versionLink(d.target, "target")}
              </div>
            </div>
            {d.onTarget ? (
              <p className="banner banner-ok" role="status" data-testid="on-target">
                {d.applied ? `Serving its target, v${d.applied.version}.` : "No version published for this node yet."}
              </p>
            ) : (
              <>
                <p className={`banner ${d.node.drifting || refusedTarget ? "banner-error" : "banner-warn"}`} role="status" data-testid="off-target">
                  {d.applied ? `Serves v${d.applied.version}` : "Serves nothing yet"}, its target is v{d.target?.version}
                  {refusedTarget ? " — it refused the target (below)" : d.node.drifting ? " — drifting for more than 30 s" : " — applying"}
                  {d.applied && d.target && (
                    <>
                      {" "}
                      · <Link href={`/versions?compare=${d.applied.version}&to=${d.target.version}`}>compare the two versions</Link>
                    </>
                  )}
                </p>
                {d.toTarget && (
                  <>
                    <h3>What the target changes on this node</h3>
                    <ChangesView changes={d.toTarget} label="Changes to the target" empty="Same content: only the version number differs." />
                  </>
                )}
              </>
            )}
          </section>
          <section className="card" aria-label="Last refusal">
            <h2>Last refusal (NACK)</h2>
            {!d.lastNack ? (
              <p className="muted">This node has not refused a version{d.node.lastAckAt ? `; last ack ${formatAgo(d.node.lastAckAt)}` : ""}.</p>
            ) : (
              <div data-testid="last-nack">
                <p>
                  Refused {d.lastNack.version !== null ? <Link href={`/versions?compare=${d.lastNack.version}`}>v{d.lastNack.version}</Link> : "a version"}{" "}
                  <span title={formatTime(d.lastNack.at)}>{formatAgo(d.lastNack.at)}</span>, kept serving {d.applied ? `v${d.applied.version}` : "nothing"}:{" "}
                  <span className="text-error">{d.lastNack.error}</span>
                </p>
                <ul className="issues">
                  {d.lastNack.issues.map((i, n) => (
                    <li key={n} className="field-error">
                      {i.path && <code data-testid="nack-path">{i.path}</code>} {i.message}
                      {i.excerpt.length > 0 && (
                        <pre className="mono small code-view">
                          {i.excerpt.map((l) => (
                            <div key={l.line} className={l.line === i.line ? "line-removed" : undefined}>
                              <span className="ln">{l.line}</span>
                              {l.text || " "}
                            </div>
                          ))}
                        </pre>
                      )}
                    </li>
                  ))}
                  {d.lastNack.more > 0 && <li className="muted">and {d.lastNack.more} more</li>}
                </ul>
              </div>
            )}
          </section>
        </>
      )}
    </>
  );
}
