"use client";
import type { TSecret } from "@switchyard/config-model";
import { Suspense, use } from "react";
import { ResourceFormPage } from "../../../../components/resource-tabs.tsx";
import { SecretForm } from "../../../../components/secret-form.tsx";
import { secretFormOf } from "../../../../lib/secret-form.ts";

export default function Edit({ params }: { params: Promise<{ name: string }> }) {
  const name = decodeURIComponent(use(params).name);
  return (
    <Suspense>
      <ResourceFormPage<TSecret> kind="secrets" name={name} form={(s, rev) => <SecretForm key={s!.name} initial={secretFormOf(s!)} existingName={name} baseRevision={rev} />} />
    </Suspense>
  );
}
