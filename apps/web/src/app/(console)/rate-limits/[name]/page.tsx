"use client";
import type { TRateLimitPolicy } from "@switchyard/config-model";
import { use } from "react";
import { RateLimitForm } from "../../../../components/rate-limit-form.tsx";
import { ResourceFormPage, viewOf } from "../../../../components/resource-tabs.tsx";
import { rateLimitFormOf } from "../../../../lib/rate-limit-form.ts";

export default function Edit({ params, searchParams }: { params: Promise<{ name: string }>; searchParams: Promise<{ view?: string }> }) {
  const name = decodeURIComponent(use(params).name);
  return (
    <ResourceFormPage<TRateLimitPolicy>
      kind="rateLimitPolicies"
      name={name}
      view={viewOf(use(searchParams))}
      form={(p) => <RateLimitForm key={p!.name} initial={rateLimitFormOf(p!)} existingName={name} />}
    />
  );
}
