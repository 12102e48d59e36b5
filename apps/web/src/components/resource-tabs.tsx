"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState, type ReactNode } from "react";
import { issueClaimer, type TFieldIssue } from "../lib/issues.ts";
import { RESOURCE_KINDS, type TResourceKind } from "../lib/resource-kinds.ts";
import { useTRPC } from "../lib/trpc.ts";
import { issuesOf, messageOf } from "../lib/trpc-errors.ts";
import { useUnsavedChanges } from "../lib/use-unsaved-changes.ts";
import { IssueList } from "./field.tsx";
import { useReadOnly } from "./read-only.tsx";
import { ResourceEditor } from "./resource-editor.tsx";
import { useToast } from "./toaster.tsx";

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
 * What the listener and rate-limit forms share with the cluster and route forms: the
 * create / update mutations (resources router), the browser-side check first, issues
 * (client or server) for issueClaimer, the unsaved-changes guard, toasts, read-only.
 */
export function useResourceSave<TForm, TValue extends { name: string }>(opts: {
  kind: TResourceKind;
  existingName?: string;
  /** The working-config revision the resource was loaded at (a stale edit gets 409). */
  baseRevision?: number | undefined;
  initial: TForm;
  form: TForm;
  build: (form: TForm) => TValue;
  check: (value: TValue) => TFieldIssue[];
}) {
  const meta = RESOURCE_KINDS[opts.kind];
  const noun = meta.label.toLowerCase();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const toast = useToast();
  const readOnly = useReadOnly();
  const [saved, setSaved] = useState(false);
  const [clientIssues, setClientIssues] = useState<TFieldIssue[]>([]);
  useUnsavedChanges(!saved && !readOnly && JSON.stringify(opts.form) !== JSON.stringify(opts.initial));

  const done = async (verb: string, name: string) => {
    setSaved(true);
    toast.ok(`${verb} ${noun} "${name}"`);
    await queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
    router.push(meta.href);
  };
  const onError = (e: unknown) => toast.error(issuesOf(e).length ? `The ${noun} was not saved: see the marked fields` : messageOf(e));
  const create = useMutation(trpc.resources.create.mutationOptions({ onSuccess: (row) => done("Created", row.name), onError }));
  const update = useMutation(trpc.resources.update.mutationOptions({ onSuccess: (row) => done("Saved", row.name), onError }));
  const remove = useMutation(trpc.resources.delete.mutationOptions({ onSuccess: () => done("Deleted", opts.existingName ?? ""), onError: (e) => toast.error(`Not deleted: ${messageOf(e)}`) }));
  const mutation = opts.existingName !== undefined ? update : create;

  const submit = () => {
    const value = opts.build(opts.form);
    const found = opts.check(value);
    setClientIssues(found);
    if (found.length) {
      mutation.reset();
      toast.error(`Fix ${found.length} issue(s) before saving`);
      return;
    }
    // The resource is checked again by the same schema in the tRPC input (discriminated by kind).
    const input = { kind: opts.kind, resource: value } as never;
    if (opts.existingName !== undefined) update.mutate({ ...(input as object), name: opts.existingName, baseRevision: opts.baseRevision } as never);
    else create.mutate(input);
  };

  const issues = clientIssues.length ? clientIssues : issuesOf(mutation.error);
  return {
    kind: opts.kind,
    meta,
    readOnly,
    submit,
    pending: mutation.isPending,
    error: mutation.error,
    issues,
    claimer: issueClaimer(issues),
    remove,
    cancel: () => router.push(meta.href),
  };
}

/** Save / Cancel / Delete under a resource form (hidden for viewers). */
export function FormActions({ save, noun, existingName }: { save: ReturnType<typeof useResourceSave>; noun: string; existingName?: string }) {
  return (
    <>
      <div className="actions" hidden={save.readOnly}>
        <button type="submit" className="btn btn-primary" disabled={save.pending}>
          {save.pending ? "Saving…" : existingName !== undefined ? `Save ${noun}` : `Create ${noun}`}
        </button>
        <button type="button" className="btn btn-ghost" onClick={save.cancel}>
          Cancel
        </button>
        {existingName !== undefined && (
          <button
            type="button"
            className="btn btn-danger push-right"
            disabled={save.remove.isPending}
            onClick={() => {
              if (window.confirm(`Delete ${noun} "${existingName}" from the working config?`)) save.remove.mutate({ kind: save.kind, name: existingName });
            }}
          >
            Delete {noun}
          </button>
        )}
      </div>
      {save.remove.error && <IssueList issues={[{ path: "", message: messageOf(save.remove.error) }]} />}
    </>
  );
}

/**
 * A listener / rate-limit page: the heading, "used by", the two views, and the form for
 * the stored resource (`name`) or a new one. The YAML view is the document editor.
 */
export function ResourceFormPage<T>(props: { kind: TResourceKind; name?: string; form: (resource: T | undefined, baseRevision?: number) => ReactNode }) {
  const meta = RESOURCE_KINDS[props.kind];
  const view = useEditorView();
  const trpc = useTRPC();
  // The form keeps what it loaded; a background refetch must not reset typed input.
  const row = useQuery({ ...trpc.resources.get.queryOptions({ kind: props.kind, name: props.name ?? "" }), enabled: props.name !== undefined && view === "form", staleTime: Infinity, refetchOnWindowFocus: false });
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
        props.form(row.data.resource as T, row.data.revision)
      ) : (
        <p className="muted" aria-busy="true">
          Loading…
        </p>
      )}
    </>
  );
}
