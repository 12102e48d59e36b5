"use client";
import { useQuery } from "@tanstack/react-query";
import { DashboardView } from "../../../components/dashboard-view.tsx";
import { FiguresTable } from "../../../components/figures-table.tsx";
import { useTRPC } from "../../../lib/trpc.ts";

/** Overview: every route merged, then each route and cluster over the last 5 minutes. */
export default function DashboardsPage() {
  const trpc = useTRPC();
  const routes = useQuery({ ...trpc.telemetry.summary.queryOptions({ kind: "route", window: 300 }), refetchInterval: 10_000 });
  const clusters = useQuery({ ...trpc.telemetry.summary.queryOptions({ kind: "cluster", window: 300 }), refetchInterval: 10_000 });
  return (
    <DashboardView kind="route" title="Traffic" subtitle="All routes on all nodes. Markers: publishes (blue), rollbacks (red), canary starts (purple), promotions (green), guard trips (amber).">
      <section className="card">
        <h2>Routes, last 5 minutes</h2>
        {routes.data && <FiguresTable rows={routes.data.items} kind="route" testId="routes-table" />}
      </section>
      <section className="card">
        <h2>Clusters, last 5 minutes</h2>
        {clusters.data && <FiguresTable rows={clusters.data.items} kind="cluster" testId="clusters-table" />}
      </section>
    </DashboardView>
  );
}
