"use client";
import { use } from "react";
import { ListenerForm } from "../../../../components/listener-form.tsx";
import { ResourceFormPage, viewOf } from "../../../../components/resource-tabs.tsx";
import { emptyListenerForm } from "../../../../lib/listener-form.ts";

export default function New({ searchParams }: { searchParams: Promise<{ view?: string }> }) {
  return <ResourceFormPage kind="listeners" view={viewOf(use(searchParams))} form={() => <ListenerForm initial={emptyListenerForm()} />} />;
}
