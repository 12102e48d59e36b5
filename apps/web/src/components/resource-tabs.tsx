"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { Fragment, type ReactNode } from "react";
import { RESOURCE_KINDS, type TResourceKind } from "../lib/resource-kinds.ts";
import { useTRPC } from "../lib/trpc.ts";
import { useLiveRecord } from "./live-record.tsx";
import { ResourceEditor } from "./resource-editor.tsx";

export type TEditorView = "form" | "yaml";

/**
 * The structured form and the YAML document are two views of one resource. They are
 * links (`?view=yaml`), so the unsaved-changes guard asks before a switch drops edits.
 */
export function ResourceTabs({ view }: { view: TEditorView }) {
  return (
    <nav className="tabs" aria-label="Editor view">
      <Link href="?view=form" aria-current={view === "form" ? "page" : undefined} replace>
        Form
      </Link>
      <Link href="?view=yaml" aria-current={view === "yaml" ? "page" : undefined} replace>
        Edit as YAML
      </Link>
    </nav>
  );
}

/** The view in the URL (`?view=yaml`); read on the client so the pages can stay static. */
function useEditorView(): TEditorView {
  return useSearchParams().get("view") === "yaml" ? "yaml" : "form";
}

/**
 * A listener / rate-limit page: the heading, "used by", the two views, and the form for
 * the stored resource (`name`) or a new one. The YAML view is the document editor.
 */
export function ResourceFormPage<T>(props: { kind: TResourceKind; name?: string; form: (resource: T | undefined, baseRevision?: number) => ReactNode }) {
  const meta = RESOURCE_KINDS[props.kind];
  const view = useEditorView();
  const trpc = useTRPC();
  // Refetched on live events only; useLiveRecord decides whether the form takes the new content.
  const query = useQuery({ ...trpc.resources.get.queryOptions({ kind: props.kind, name: props.name ?? "" }), enabled: props.name !== undefined && view === "form", staleTime: Infinity, refetchOnWindowFocus: false });
  const live = useLiveRecord(query.data, (d) => d.resource, [`${props.kind}/${props.name ?? ""}`]);
  const row = { ...query, data: live.shown };
  if (view === "yaml") return <ResourceEditor kind={props.kind} name={props.name} tabs={<ResourceTabs view="yaml" />} />;
  return (
    <>
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link href={meta.href}>{meta.plural}</Link> /
          </p>
          <h1>{props.name ?? `New ${meta.label.toLowerCase()}`}</h1>
          <p className="muted">{meta.blurb}</p>
        </div>
      </div>
      <ResourceTabs view="form" />
      {live.banner}
      {row.data && row.data.usedBy.length > 0 && (
        <p className="banner" role="note">
          Used by {row.data.usedBy.join(", ")}. Renaming is refused while it is used.
        </p>
      )}
      {props.name === undefined ? (
        props.form(undefined)
      ) : row.isError ? (
        <p className="banner banner-error" role="alert">
          {row.error.message}
        </p>
      ) : row.data ? (
        <Fragment key={live.key}>{props.form(row.data.resource as T, row.data.revision)}</Fragment>
      ) : (
        <p className="muted" aria-busy="true">
          Loading…
        </p>
      )}
    </>
  );
}
