"use client";
import { use } from "react";
import { ResourceEditor } from "../../../../components/resource-editor.tsx";

export default function Edit({ params }: { params: Promise<{ name: string }> }) {
  const { name } = use(params);
  return <ResourceEditor kind="routeConfigs" name={decodeURIComponent(name)} />;
}
