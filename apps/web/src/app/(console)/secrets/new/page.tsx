"use client";
import { ResourceEditor } from "../../../../components/resource-editor.tsx";

export default function New() {
  return <ResourceEditor kind="secrets" />;
}
