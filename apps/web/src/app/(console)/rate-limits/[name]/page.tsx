"use client";
import type { TRateLimitPolicy } from "@switchyard/config-model";
import { Suspense, use } from "react";
import { RateLimitForm } from "../../../../components/rate-limit-form.tsx";
import { ResourceFormPage } from "../../../../components/resource-tabs.tsx";
import { rateLimitFormOf } from "../../../../lib/rate-limit-form.ts";

export default function Edit({ params }: { params: Promise<{ name: string }> }) {
  const name = decodeURIComponent(use(params).name);
  return (
    <Suspense>
      <ResourceFormPage<TRateLimitPolicy> kind="rateLimitPolicies" name={name} form={(p, rev) => <RateLimitForm key={p!.name} initial={rateLimitFormOf(p!)} existingName={name} baseRevision={rev} />} />
    </Suspense>
  );
}
