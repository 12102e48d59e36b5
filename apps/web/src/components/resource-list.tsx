"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState, type ReactNode } from "react";
import { RESOURCE_KINDS, type TResourceKind } from "../lib/resource-kinds.ts";
import { useTRPC } from "../lib/trpc.ts";
import { messageOf } from "../lib/trpc-errors.ts";
import { useToast } from "./toaster.tsx";
import { useReadOnly } from "./read-only.tsx";

export type TRow = { name: string; usedBy: string[]; resource: Record<string, unknown>; certificate?: unknown; module?: unknown };

export type TColumn = { label: string; sortKey?: (row: TRow) => string | number; render: (row: TRow) => ReactNode; className?: string };

/**
 * The list page of a resource kind: search (name and summary text), sort by any
 * column, filter by use, duplicate, and delete (refused with the referrers while used).
 */
export function ResourceList({ kind, columns, filters }: { kind: TResourceKind; columns: TColumn[]; filters?: { label: string; test: (row: TRow) => boolean }[] }) {
  const meta = RESOURCE_KINDS[kind];
  const trpc = useTRPC();
  const readOnly = useReadOnly();
  const router = useRouter();
  const toast = useToast();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.resources.list.queryOptions({ kind }));
  const [search, setSearch] = useState("");
  const [sort, setSort] = useState<{ col: number; dir: 1 | -1 }>({ col: -1, dir: 1 });
  const [filter, setFilter] = useState("all");
  const [deleteError, setDeleteError] = useState<string | null>(null);

  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
  const remove = useMutation(
    trpc.resources.delete.mutationOptions({
      onSuccess: async (_d, vars) => {
        setDeleteError(null);
        toast.ok(`Deleted ${meta.label.toLowerCase()} "${vars.name}"`);
        await invalidate();
      },
      onError: (err) => {
        setDeleteError(messageOf(err));
        toast.error(messageOf(err));
      },
    }),
  );
  const duplicate = useMutation(
    trpc.resources.duplicate.mutationOptions({
      onSuccess: async (copy) => {
        toast.ok(`Created "${copy.name}": edit it now`);
        await invalidate();
        router.push(`${meta.href}/${encodeURIComponent(copy.name)}`);
      },
      onError: (err) => toast.error(messageOf(err)),
    }),
  );

  const rows = useMemo(() => {
    const all = (list.data ?? []) as TRow[];
    const q = search.trim().toLowerCase();
    const active = filters?.find((f) => f.label === filter);
    const out = all.filter((r) => (!q || JSON.stringify(r.resource).toLowerCase().includes(q)) && (!active || active.test(r)));
    const key = sort.col === -1 ? (r: TRow) => r.name : (columns[sort.col]?.sortKey ?? ((r: TRow) => r.name));
    return [...out].sort((a, b) => {
      const x = key(a);
      const y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * sort.dir;
    });
  }, [list.data, search, filter, filters, sort, columns]);

  const header = (label: string, col: number, sortable: boolean) => {
    const active = sort.col === col;
    return (
      <th scope="col" key={label} aria-sort={active ? (sort.dir === 1 ? "ascending" : "descending") : "none"}>
        {sortable ? (
          <button type="button" className="th-sort" onClick={() => setSort({ col, dir: active ? (-sort.dir as 1 | -1) : 1 })}>
            {label} {active ? (sort.dir === 1 ? "▲" : "▼") : ""}
          </button>
        ) : (
          label
        )}
      </th>
    );
  };

  return (
    <>
      <div className="page-head">
        <div>
          <h1>{meta.plural}</h1>
          <p className="muted">{meta.blurb}</p>
        </div>
        {!readOnly && (
          <Link href={`${meta.href}/new`} className="btn btn-primary">
            New {meta.label.toLowerCase()}
          </Link>
        )}
      </div>
      {deleteError && (
        <p className="banner banner-error" role="alert">
          {deleteError}
        </p>
      )}
      {list.isError && (
        <p className="banner banner-error" role="alert">
          Could not load {meta.plural.toLowerCase()}: {list.error.message}
        </p>
      )}
      {list.isPending && (
        <p className="muted" aria-busy="true">
          Loading…
        </p>
      )}
      {list.data && list.data.length === 0 && (
        <div className="empty">
          <p>No {meta.plural.toLowerCase()} yet.</p>
          {!readOnly && (
            <Link href={`${meta.href}/new`} className="btn">
              Create the first {meta.label.toLowerCase()}
            </Link>
          )}
        </div>
      )}
      {list.data && list.data.length > 0 && (
        <>
          <div className="toolbar">
            <input type="search" aria-label={`Search ${meta.plural.toLowerCase()}`} placeholder="Search…" value={search} onChange={(e) => setSearch(e.target.value)} />
            {filters && (
              <select aria-label="Filter" value={filter} onChange={(e) => setFilter(e.target.value)}>
                <option value="all">All</option>
                {filters.map((f) => (
                  <option key={f.label} value={f.label}>
                    {f.label}
                  </option>
                ))}
              </select>
            )}
            <span className="muted small">
              {rows.length} of {list.data.length}
            </span>
          </div>
          <table className="table">
            <thead>
              <tr>
                {header("Name", -1, true)}
                {columns.map((c, i) => header(c.label, i, c.sortKey !== undefined))}
                <th scope="col">Used by</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.length === 0 && (
                <tr>
                  <td colSpan={columns.length + 3} className="muted">
                    Nothing matches the search.
                  </td>
                </tr>
              )}
              {rows.map((r) => (
                <tr key={r.name} data-name={r.name}>
                  <td>
                    <Link href={`${meta.href}/${encodeURIComponent(r.name)}`}>{r.name}</Link>
                  </td>
                  {columns.map((c) => (
                    <td key={c.label} className={c.className}>
                      {c.render(r)}
                    </td>
                  ))}
                  <td className="small">{r.usedBy.length ? r.usedBy.join(", ") : <span className="muted">unused</span>}</td>
                  <td className="actions-cell">
                    <div className="row-actions" hidden={readOnly}>
                      <button type="button" className="btn btn-small" onClick={() => duplicate.mutate({ kind, name: r.name })} disabled={duplicate.isPending}>
                        Duplicate<span className="sr-only"> {r.name}</span>
                      </button>
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        title={r.usedBy.length ? `Used by ${r.usedBy.join(", ")}` : undefined}
                        onClick={() => {
                          if (window.confirm(`Delete ${meta.label.toLowerCase()} "${r.name}" from the working config?`)) remove.mutate({ kind, name: r.name });
                        }}
                      >
                        Delete<span className="sr-only"> {r.name}</span>
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
