"use client";
import Link from "next/link";
import { ClusterForm } from "../../../../components/cluster-form.tsx";
import { emptyClusterForm } from "../../../../lib/cluster-form.ts";

export default function NewClusterPage() {
  return (
    <>
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link href="/clusters">Clusters</Link> /
          </p>
          <h1>New cluster</h1>
        </div>
      </div>
      <ClusterForm initial={emptyClusterForm()} />
    </>
  );
}
