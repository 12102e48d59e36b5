"use client";
import { Suspense } from "react";
import { ResourceFormPage } from "../../../../components/resource-tabs.tsx";
import { SecretForm } from "../../../../components/secret-form.tsx";
import { emptySecretForm } from "../../../../lib/secret-form.ts";

export default function New() {
  return (
    <Suspense>
      <ResourceFormPage kind="secrets" form={() => <SecretForm initial={emptySecretForm()} />} />
    </Suspense>
  );
}
