"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { ClusterEndpoints } from "../../../../components/cluster-endpoints.tsx";
import { ClusterForm } from "../../../../components/cluster-form.tsx";
import { clusterFormOf } from "../../../../lib/cluster-form.ts";
import { useTRPC } from "../../../../lib/trpc.ts";

export default function EditClusterPage() {
  const params = useParams<{ name: string }>();
  const name = decodeURIComponent(params.name);
  const trpc = useTRPC();
  // The form keeps what it loaded; a background refetch must not reset typed input.
  const row = useQuery({ ...trpc.clusters.get.queryOptions({ name }), staleTime: Infinity, refetchOnWindowFocus: false });
  return (
    <>
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link href="/clusters">Clusters</Link> /
          </p>
          <h1>{name}</h1>
        </div>
      </div>
      {row.isError && (
        <p className="banner banner-error" role="alert">
          {row.error.message}
        </p>
      )}
      {row.isPending && <p className="muted">Loading…</p>}
      {row.data && <ClusterForm key={row.data.name} initial={clusterFormOf(row.data.cluster)} existing={row.data.cluster} baseRevision={row.data.revision} />}
      {row.data && <ClusterEndpoints name={row.data.name} />}
    </>
  );
}
