"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { RouteForm } from "../../../../../../components/route-form.tsx";
import { routeFormOf } from "../../../../../../lib/route-form.ts";
import { useTRPC } from "../../../../../../lib/trpc.ts";
import { ErrorBanner } from "../../../../../../components/ui.tsx";
import { useLiveRecord } from "../../../../../../components/live-record.tsx";

export default function EditRoutePage() {
  const params = useParams<{ routeConfig: string; virtualHost: string; name: string }>();
  const ref = {
    routeConfig: decodeURIComponent(params.routeConfig),
    virtualHost: decodeURIComponent(params.virtualHost),
    name: decodeURIComponent(params.name),
  };
  const trpc = useTRPC();
  // Refetched on live events only; useLiveRecord keeps typed input (and says who changed the route).
  const query = useQuery({ ...trpc.routes.get.queryOptions(ref), staleTime: Infinity, refetchOnWindowFocus: false });
  const live = useLiveRecord(query.data, (d) => d.route, [`routes/${ref.routeConfig}/${ref.virtualHost}/${ref.name}`]);
  const row = { ...query, data: live.shown };
  return (
    <>
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link href="/routes">Routes</Link> / {ref.routeConfig} / {ref.virtualHost} /
          </p>
          <h1>{ref.name}</h1>
        </div>
      </div>
      <ErrorBanner error={row.isError && row.error} />
      {live.banner}
      {row.isPending && <p className="muted">Loading…</p>}
      {row.data && (
        <RouteForm
          key={`${row.data.routeConfig}/${row.data.virtualHost}/${row.data.name}#${live.key}`}
          initial={routeFormOf(row.data, row.data.route)}
          existing={{ routeConfig: row.data.routeConfig, virtualHost: row.data.virtualHost, name: row.data.name, route: row.data.route, revision: row.data.revision }}
        />
      )}
    </>
  );
}
