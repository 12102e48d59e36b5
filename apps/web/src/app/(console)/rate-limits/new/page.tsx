"use client";
import { use } from "react";
import { RateLimitForm } from "../../../../components/rate-limit-form.tsx";
import { ResourceFormPage, viewOf } from "../../../../components/resource-tabs.tsx";
import { emptyRateLimitForm } from "../../../../lib/rate-limit-form.ts";

export default function New({ searchParams }: { searchParams: Promise<{ view?: string }> }) {
  return <ResourceFormPage kind="rateLimitPolicies" view={viewOf(use(searchParams))} form={() => <RateLimitForm initial={emptyRateLimitForm()} />} />;
}
