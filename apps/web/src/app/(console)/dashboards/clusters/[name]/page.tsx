"use client";
import { useParams } from "next/navigation";
import { DashboardView } from "../../../../../components/dashboard-view.tsx";

export default function ClusterDashboardPage() {
  const { name } = useParams<{ name: string }>();
  const cluster = decodeURIComponent(name);
  return <DashboardView kind="cluster" name={cluster} title={`Cluster ${cluster}`} subtitle="Requests sent to this cluster by every node, and its endpoints' health." />;
}
