"use client";
import type { TRouteConfig } from "@switchyard/config-model";
import { Suspense, use } from "react";
import { ResourceFormPage } from "../../../../components/resource-tabs.tsx";
import { RouteConfigForm } from "../../../../components/route-config-form.tsx";
import { routeConfigFormOf } from "../../../../lib/route-config-form.ts";

export default function Edit({ params }: { params: Promise<{ name: string }> }) {
  const name = decodeURIComponent(use(params).name);
  return (
    <Suspense>
      <ResourceFormPage<TRouteConfig> kind="routeConfigs" name={name} form={(rc, rev) => <RouteConfigForm key={rc!.name} initial={routeConfigFormOf(rc!)} existingName={name} baseRevision={rev} />} />
    </Suspense>
  );
}
