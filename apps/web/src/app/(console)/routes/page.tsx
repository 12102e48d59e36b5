"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { TRouteMatch } from "@switchyard/config-model";
import { useTRPC } from "../../../lib/trpc.ts";

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
  const routes = useQuery(trpc.routes.list.queryOptions());
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Routes</h1>
          <p className="muted">The working config: first match wins inside a virtual host. Changes go live when you publish.</p>
        </div>
        <Link href="/routes/new" className="btn btn-primary">
          New route
        </Link>
      </div>
      {routes.isError && <p className="banner banner-error" role="alert">{routes.error.message}</p>}
      {routes.data && routes.data.length === 0 && (
        <div className="empty">
          <p>No routes yet.</p>
          <Link href="/routes/new" className="btn">
            Create the first route
          </Link>
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
            </tr>
          </thead>
          <tbody>
            {routes.data.map((r) => (
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
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {routes.isPending && <p className="muted">Loading…</p>}
    </>
  );
}
