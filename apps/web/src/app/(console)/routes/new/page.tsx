"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { RouteForm } from "../../../../components/route-form.tsx";
import { emptyRouteForm } from "../../../../lib/route-form.ts";
import { useTRPC } from "../../../../lib/trpc.ts";

export default function NewRoutePage() {
  const trpc = useTRPC();
  const placements = useQuery(trpc.routes.placements.queryOptions());
  const clusters = useQuery(trpc.resources.list.queryOptions({ kind: "clusters" }));
  const ready = placements.data && clusters.data;
  const first = placements.data?.[0];
  return (
    <>
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link href="/routes">Routes</Link> /
          </p>
          <h1>New route</h1>
        </div>
      </div>
      {(placements.isError || clusters.isError) && (
        <p className="banner banner-error" role="alert">
          {placements.error?.message ?? clusters.error?.message}
        </p>
      )}
      {ready ? (
        <RouteForm
          initial={emptyRouteForm({
            routeConfig: first?.routeConfig,
            virtualHost: first?.virtualHosts[0]?.name,
            cluster: clusters.data[0]?.name,
          })}
        />
      ) : (
        <p className="muted">Loading…</p>
      )}
    </>
  );
}
