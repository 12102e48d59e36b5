"use client";
import { Suspense } from "react";
import { RateLimitForm } from "../../../../components/rate-limit-form.tsx";
import { ResourceFormPage } from "../../../../components/resource-tabs.tsx";
import { emptyRateLimitForm } from "../../../../lib/rate-limit-form.ts";

export default function New() {
  return (
    <Suspense>
      <ResourceFormPage kind="rateLimitPolicies" form={() => <RateLimitForm initial={emptyRateLimitForm()} />} />
    </Suspense>
  );
}
