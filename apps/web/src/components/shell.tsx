"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useState, type ReactNode } from "react";
import { LiveProvider } from "../lib/live.tsx";
import { useTRPC } from "../lib/trpc.ts";
import { PublishDialog } from "./publish-dialog.tsx";
import { RoleProvider } from "./read-only.tsx";

const NAV = [
  { href: "/overview", label: "Overview" },
  { href: "/listeners", label: "Listeners" },
  { href: "/route-configs", label: "Route configs" },
  { href: "/routes", label: "Routes" },
  { href: "/clusters", label: "Clusters" },
  { href: "/secrets", label: "TLS secrets" },
  { href: "/rate-limits", label: "Rate limits" },
  { href: "/tester", label: "Route tester" },
  { href: "/publish", label: "Publish" },
  { href: "/versions", label: "Versions" },
  { href: "/nodes", label: "Nodes" },
  { href: "/import", label: "Import / export" },
  { href: "/rollouts", label: "Rollouts" },
  { href: "/audit", label: "Audit log" },
  { href: "/tokens", label: "Tokens" },
  { href: "/users", label: "Users" },
  { href: "/dashboards", label: "Dashboards" },
  { href: "/topology", label: "Topology" },
  { href: "/traces", label: "Traces" },
] as const;

/** The logged-in frame: nav on the left, page on the right; sends strangers to /login. */
export function Shell({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.auth.me.queryOptions());
  const pending = useQuery({ ...trpc.versions.pendingDiff.queryOptions(), enabled: !!me.data });
  // The page the publish dialog was opened on: a link followed from inside it (Nodes, Rollouts) closes it.
  const [publishOpenOn, setPublishOpenOn] = useState<string | null>(null);
  const publishOpen = publishOpenOn === pathname;
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSuccess: (result) => {
        queryClient.clear();
        // The provider ends its session too, then sends the browser back to /login.
        if (result.redirect) window.location.assign(result.redirect);
        else router.replace("/login");
      },
    }),
  );

  useEffect(() => {
    if (me.isSuccess && !me.isFetching && me.data === null) router.replace(`/login?next=${encodeURIComponent(pathname)}`);
  }, [me.isSuccess, me.isFetching, me.data, pathname, router]);

  if (!me.data) {
    return (
      <div className="boot" aria-busy="true">
        {me.isError ? <p role="alert">The console API is not answering: {me.error.message}</p> : <p className="muted">Loading…</p>}
      </div>
    );
  }

  const unpublished = pending.data && !pending.data.diff.empty;
  const changeCount = pending.data ? countChanges(pending.data.diff) : 0;
  const readOnly = me.data.role === "viewer";
  return (
    // One live channel per tab, opened once signed in: every page updates from it.
    <LiveProvider>
    <div className="shell">
      <header className="topbar">
        <Link href="/overview" className="brand">
          <span className="brand-mark" aria-hidden>
            ⇄
          </span>{" "}
          Switchyard
        </Link>
        <div className="topbar-right">
          {pending.data && (
            <span className="muted small" data-testid="live-version">
              live: {pending.data.liveVersion === null ? "nothing published" : `v${pending.data.liveVersion}`}
            </span>
          )}
          {!readOnly && (
            <button
              type="button"
              className="btn btn-primary btn-small"
              aria-haspopup="dialog"
              data-testid="publish-open"
              title={changeCount ? `${changeCount} pending change${changeCount === 1 ? "" : "s"} against the live version` : "No pending changes"}
              onClick={() => setPublishOpenOn(pathname)}
            >
              Publish
              <span className="count" data-testid="pending-count" aria-label={`${changeCount} pending changes`}>
                {changeCount}
              </span>
            </button>
          )}
          <span className="small" data-testid="whoami">
            {me.data.email} <span className="tag">{me.data.role}</span>
          </span>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => logout.mutate()} disabled={logout.isPending}>
            Log out
          </button>
        </div>
      </header>
      <nav className="sidenav" aria-label="Main">
        <ul>
          {NAV.map((item) => {
            const active = pathname === item.href || pathname.startsWith(`${item.href}/`);
            return (
              <li key={item.href}>
                <Link href={item.href} className={active ? "active" : undefined} aria-current={active ? "page" : undefined}>
                  {item.label}
                  {item.href === "/publish" && unpublished && (
                    <span className="badge" title="The working config has unpublished changes">
                      changes
                    </span>
                  )}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <main className="content">
        {readOnly && (
          <p className="banner banner-warn readonly-banner" role="note" data-testid="read-only-banner">
            Read-only: you are signed in as a viewer. You can look at everything; changes, publishing and rollbacks need the editor role.
          </p>
        )}
        <RoleProvider role={me.data.role}>{children}</RoleProvider>
      </main>
      {!readOnly && <PublishDialog open={publishOpen} onClose={() => setPublishOpenOn(null)} />}
    </div>
    </LiveProvider>
  );
}

/** Resources added, removed or changed by publishing now. */
function countChanges(diff: Record<string, unknown>): number {
  let n = 0;
  for (const v of Object.values(diff)) {
    if (v && typeof v === "object" && "added" in v) {
      const k = v as { added: unknown[]; removed: unknown[]; changed: unknown[] };
      n += k.added.length + k.removed.length + k.changed.length;
    }
  }
  return n;
}
