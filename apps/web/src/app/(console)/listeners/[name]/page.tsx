"use client";
import type { TListener } from "@switchyard/config-model";
import { Suspense, use } from "react";
import { ListenerForm } from "../../../../components/listener-form.tsx";
import { ResourceFormPage } from "../../../../components/resource-tabs.tsx";
import { listenerFormOf } from "../../../../lib/listener-form.ts";

export default function Edit({ params }: { params: Promise<{ name: string }> }) {
  const name = decodeURIComponent(use(params).name);
  return (
    <Suspense>
      <ResourceFormPage<TListener> kind="listeners" name={name} form={(l, rev) => <ListenerForm key={l!.name} initial={listenerFormOf(l!)} existingName={name} baseRevision={rev} />} />
    </Suspense>
  );
}
