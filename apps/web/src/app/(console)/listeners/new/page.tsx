"use client";
import { Suspense } from "react";
import { ListenerForm } from "../../../../components/listener-form.tsx";
import { ResourceFormPage } from "../../../../components/resource-tabs.tsx";
import { emptyListenerForm } from "../../../../lib/listener-form.ts";

export default function New() {
  return (
    <Suspense>
      <ResourceFormPage kind="listeners" form={() => <ListenerForm initial={emptyListenerForm()} />} />
    </Suspense>
  );
}
