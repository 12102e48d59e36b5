"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import type { TRouteMatch } from "@switchyard/config-model";
import { useToast } from "../../../components/toaster.tsx";
import { useTRPC } from "../../../lib/trpc.ts";
import { messageOf } from "../../../lib/trpc-errors.ts";
import { useReadOnly } from "../../../components/read-only.tsx";

function describeMatch(m: TRouteMatch): string {
  const kind = m.prefix !== undefined ? `prefix ${m.prefix}` : m.path !== undefined ? `path ${m.path}` : `regex ${m.regex ?? ""}`;
  const extras = [
    m.methods?.length ? m.methods.join(",") : "",
    m.headers.length ? `${m.headers.length} header${m.headers.length > 1 ? "s" : ""}` : "",
    m.query.length ? `${m.query.length} query` : "",
  ].filter(Boolean);
  return extras.length ? `${kind} · ${extras.join(" · ")}` : kind;
}

export default function RoutesPage() {
  const trpc = useTRPC();
  const readOnly = useReadOnly();
  const routes = useQuery(trpc.routes.list.queryOptions());
  const queryClient = useQueryClient();
  const toast = useToast();
  const [search, setSearch] = useState("");
  const [kind, setKind] = useState("all");
  const listKey = trpc.routes.list.queryKey();
  // Reordering is safe to show optimistically: the server applies exactly this move, and
  // on failure the cached list is put back and the error toasted.
  const move = useMutation(
    trpc.routes.move.mutationOptions({
      onMutate: async ({ ref, to }) => {
        await queryClient.cancelQueries({ queryKey: listKey });
        const before = queryClient.getQueryData(listKey);
        queryClient.setQueryData(listKey, (rows) => {
          if (!rows) return rows;
          const same = rows.filter((r) => r.routeConfig === ref.routeConfig && r.virtualHost === ref.virtualHost);
          const moved = same.find((r) => r.name === ref.name);
          if (!moved) return rows;
          const order = same.filter((r) => r !== moved);
          order.splice(to, 0, moved);
          const renumbered = new Map(order.map((r, i) => [r.name, { ...r, order: i }]));
          const out = rows.filter((r) => !(r.routeConfig === ref.routeConfig && r.virtualHost === ref.virtualHost));
          const at = rows.findIndex((r) => r.routeConfig === ref.routeConfig && r.virtualHost === ref.virtualHost);
          out.splice(at, 0, ...order.map((r) => renumbered.get(r.name)!));
          return out;
        });
        return { before };
      },
      onError: (err, _vars, ctx) => {
        if (ctx?.before) queryClient.setQueryData(listKey, ctx.before);
        toast.error(`Not moved: ${messageOf(err)}`);
      },
      onSuccess: (_d, { ref, to }) => toast.ok(`Moved "${ref.name}" to position ${to + 1}`),
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.pathKey() }),
    }),
  );
  const duplicate = useMutation(
    trpc.routes.duplicate.mutationOptions({
      onSuccess: async (copy) => {
        toast.ok(`Created "${copy.name}" right after the original`);
        await queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
      },
      onError: (err) => toast.error(messageOf(err)),
    }),
  );
  const q = search.trim().toLowerCase();
  const shown = (routes.data ?? []).filter(
    (r) => (kind === "all" || r.actionKind === kind) && (!q || `${r.routeConfig} ${r.virtualHost} ${r.name} ${describeMatch(r.match)} ${r.actionSummary} ${r.domains.join(" ")}`.toLowerCase().includes(q)),
  );
  const siblings = (r: { routeConfig: string; virtualHost: string }) => (routes.data ?? []).filter((x) => x.routeConfig === r.routeConfig && x.virtualHost === r.virtualHost).length;
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Routes</h1>
          <p className="muted">The working config: first match wins inside a virtual host. Changes go live when you publish.</p>
        </div>
        <Link href="/routes/new" className="btn btn-primary" hidden={readOnly}>
          New route
        </Link>
      </div>
      {routes.isError && <p className="banner banner-error" role="alert">{routes.error.message}</p>}
      {routes.data && routes.data.length === 0 && (
        <div className="empty">
          <p>No routes yet.</p>
          <Link href="/routes/new" className="btn" hidden={readOnly}>
            Create the first route
          </Link>
        </div>
      )}
      {routes.data && routes.data.length > 0 && (
        <div className="toolbar">
          <input type="search" aria-label="Search routes" placeholder="Search…" value={search} onChange={(e) => setSearch(e.target.value)} />
          <select aria-label="Filter by action" value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="all">All actions</option>
            <option value="route">Forward</option>
            <option value="redirect">Redirect</option>
            <option value="directResponse">Direct response</option>
          </select>
          <span className="muted small">
            {shown.length} of {routes.data.length} · reorder with ↑ ↓ (search off keeps the full order in view)
          </span>
        </div>
      )}
      {routes.data && routes.data.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Route config</th>
              <th scope="col">Virtual host</th>
              <th scope="col">Domains</th>
              <th scope="col" className="num">
                Order
              </th>
              <th scope="col">Name</th>
              <th scope="col">Match</th>
              <th scope="col">Action</th>
              <th scope="col">
                <span className="sr-only">Order and copy</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={`${r.routeConfig}/${r.virtualHost}/${r.name}`}>
                <td>{r.routeConfig}</td>
                <td>{r.virtualHost}</td>
                <td className="mono small">{r.domains.join(", ")}</td>
                <td className="num">{r.order + 1}</td>
                <td>
                  <Link href={`/routes/${encodeURIComponent(r.routeConfig)}/${encodeURIComponent(r.virtualHost)}/${encodeURIComponent(r.name)}`}>{r.name}</Link>
                </td>
                <td className="mono small">{describeMatch(r.match)}</td>
                <td className="small">
                  <span className={`tag tag-${r.actionKind}`}>{r.actionKind === "directResponse" ? "direct" : r.actionKind}</span> {r.actionSummary}
                </td>
                <td className="actions-cell">
                  <div className="row-actions" hidden={readOnly}>
                    <button type="button" className="btn btn-small" aria-label={`Move ${r.name} up`} disabled={r.order === 0 || move.isPending} onClick={() => move.mutate({ ref: { routeConfig: r.routeConfig, virtualHost: r.virtualHost, name: r.name }, to: r.order - 1 })}>
                      ↑
                    </button>
                    <button type="button" className="btn btn-small" aria-label={`Move ${r.name} down`} disabled={r.order === siblings(r) - 1 || move.isPending} onClick={() => move.mutate({ ref: { routeConfig: r.routeConfig, virtualHost: r.virtualHost, name: r.name }, to: r.order + 1 })}>
                      ↓
                    </button>
                    <button type="button" className="btn btn-small" disabled={duplicate.isPending} onClick={() => duplicate.mutate({ routeConfig: r.routeConfig, virtualHost: r.virtualHost, name: r.name })}>
                      Duplicate<span className="sr-only"> {r.name}</span>
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {routes.isPending && <p className="muted">Loading…</p>}
    </>
  );
}
