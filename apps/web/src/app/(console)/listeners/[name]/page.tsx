"use client";
import type { TListener } from "@switchyard/config-model";
import { use } from "react";
import { ListenerForm } from "../../../../components/listener-form.tsx";
import { ResourceFormPage, viewOf } from "../../../../components/resource-tabs.tsx";
import { listenerFormOf } from "../../../../lib/listener-form.ts";

export default function Edit({ params, searchParams }: { params: Promise<{ name: string }>; searchParams: Promise<{ view?: string }> }) {
  const name = decodeURIComponent(use(params).name);
  return (
    <ResourceFormPage<TListener>
      kind="listeners"
      name={name}
      view={viewOf(use(searchParams))}
      form={(l) => <ListenerForm key={l!.name} initial={listenerFormOf(l!)} existingName={name} />}
    />
  );
}
