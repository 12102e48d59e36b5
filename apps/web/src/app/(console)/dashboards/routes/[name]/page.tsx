"use client";
import { useParams } from "next/navigation";
import { DashboardView } from "../../../../../components/dashboard-view.tsx";

export default function RouteDashboardPage() {
  const { name } = useParams<{ name: string }>();
  const route = decodeURIComponent(name);
  return <DashboardView kind="route" name={route} title={`Route ${route}`} subtitle="Merged over every node and listener serving this route." />;
}
