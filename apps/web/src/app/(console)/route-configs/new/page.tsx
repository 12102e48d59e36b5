"use client";
import { Suspense } from "react";
import { ResourceFormPage } from "../../../../components/resource-tabs.tsx";
import { RouteConfigForm } from "../../../../components/route-config-form.tsx";
import { emptyRouteConfigForm } from "../../../../lib/route-config-form.ts";

export default function New() {
  return (
    <Suspense>
      <ResourceFormPage kind="routeConfigs" form={() => <RouteConfigForm initial={emptyRouteConfigForm()} />} />
    </Suspense>
  );
}
