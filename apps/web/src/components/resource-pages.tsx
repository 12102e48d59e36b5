"use client";
import { Fragment, Suspense, use, type ReactNode } from "react";
import { clusterFormOf, emptyClusterForm } from "../lib/cluster-form.ts";
import { emptyListenerForm, listenerFormOf } from "../lib/listener-form.ts";
import { emptyRateLimitForm, rateLimitFormOf } from "../lib/rate-limit-form.ts";
import type { TResourceKind } from "../lib/resource-kinds.ts";
import { emptyRouteConfigForm, routeConfigFormOf } from "../lib/route-config-form.ts";
import { emptySecretForm, secretFormOf } from "../lib/secret-form.ts";
import { ClusterEndpoints } from "./cluster-endpoints.tsx";
import { ClusterForm } from "./cluster-form.tsx";
import { ListenerForm } from "./listener-form.tsx";
import { RateLimitForm } from "./rate-limit-form.tsx";
import { ResourceFormPage } from "./resource-tabs.tsx";
import { RouteConfigForm } from "./route-config-form.tsx";
import { SecretForm } from "./secret-form.tsx";

type TEditorProps = { existingName?: string; baseRevision?: number | undefined };

/**
 * Each resource kind's structured form: how a stored resource becomes the form's state,
 * the empty form, and what the edit page shows below the form. Pages are one line each:
 * `export default resourceEditPage("clusters")`.
 */
const EDITORS: { [K in TResourceKind]: { form: (resource: never | undefined, props: TEditorProps) => ReactNode; below?: (name: string) => ReactNode } } = {
  listeners: { form: (r, p) => <ListenerForm initial={r ? listenerFormOf(r) : emptyListenerForm()} {...p} /> },
  routeConfigs: { form: (r, p) => <RouteConfigForm initial={r ? routeConfigFormOf(r) : emptyRouteConfigForm()} {...p} /> },
  clusters: { form: (r, p) => <ClusterForm initial={r ? clusterFormOf(r) : emptyClusterForm()} {...p} />, below: (name) => <ClusterEndpoints name={name} /> },
  secrets: { form: (r, p) => <SecretForm initial={r ? secretFormOf(r) : emptySecretForm()} {...p} /> },
  rateLimitPolicies: { form: (r, p) => <RateLimitForm initial={r ? rateLimitFormOf(r) : emptyRateLimitForm()} {...p} /> },
};

/** `/<kind>/[name]`: the stored resource in its form (or `?view=yaml`), what refers to it, and the kind's extras. */
export function resourceEditPage(kind: TResourceKind) {
  const editor = EDITORS[kind];
  return function EditPage({ params }: { params: Promise<{ name: string }> }) {
    const name = decodeURIComponent(use(params).name);
    return (
      <Suspense>
        <ResourceFormPage
          kind={kind}
          name={name}
          form={(resource, baseRevision) => (
            <>
              <Fragment key={name}>{editor.form(resource as never, { existingName: name, baseRevision })}</Fragment>
              {editor.below?.(name)}
            </>
          )}
        />
      </Suspense>
    );
  };
}

/** `/<kind>/new`: the empty form (or the YAML template). */
export function resourceNewPage(kind: TResourceKind) {
  const editor = EDITORS[kind];
  return function NewPage() {
    return (
      <Suspense>
        <ResourceFormPage kind={kind} form={() => editor.form(undefined, {})} />
      </Suspense>
    );
  };
}
