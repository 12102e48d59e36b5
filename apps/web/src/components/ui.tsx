"use client";
import type { ReactNode } from "react";
import { messageOf } from "../lib/trpc-errors.ts";

/** A failure in one line, announced to screen readers; nothing when there is none. */
export function ErrorBanner({ error, children }: { error?: unknown; children?: ReactNode }) {
  if (!children && (error === null || error === undefined || error === false)) return null;
  return (
    <p className="banner banner-error" role="alert">
      {children ?? messageOf(error)}
    </p>
  );
}

export type THeader = string | { label: ReactNode; num?: boolean; key?: string };

/** A table's head row: plain labels, numeric columns right-aligned, "" for an actions column (read by screen readers as "Actions"). */
export function TableHead({ columns }: { columns: readonly THeader[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) => {
          const h = typeof c === "string" ? { label: c } : c;
          return (
            <th key={h.key ?? (typeof h.label === "string" && h.label ? h.label : i)} scope="col" className={h.num ? "num" : undefined}>
              {h.label === "" ? <span className="sr-only">Actions</span> : h.label}
            </th>
          );
        })}
      </tr>
    </thead>
  );
}

/** A query's states besides its data: loading, failed (the message), empty (what to say). */
export function QueryState({ query, empty }: { query: { isPending: boolean; isError: boolean; error: unknown; data?: unknown }; empty?: ReactNode }) {
  if (query.isError) return <ErrorBanner error={query.error} />;
  if (query.isPending) return <p className="muted" aria-busy="true">Loading…</p>;
  if (empty !== undefined && Array.isArray(query.data) && query.data.length === 0) return <div className="empty">{empty}</div>;
  return null;
}
