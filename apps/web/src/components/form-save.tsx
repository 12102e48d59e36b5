"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent, type ReactNode } from "react";
import { issueClaimer, type TFieldIssue } from "../lib/issues.ts";
import { RESOURCE_KINDS, type TResourceKind } from "../lib/resource-kinds.ts";
import { useTRPC, useTRPCClient } from "../lib/trpc.ts";
import { issuesOf, messageOf } from "../lib/trpc-errors.ts";
import { useUnsavedChanges } from "../lib/use-unsaved-changes.ts";
import { IssueList } from "./field.tsx";
import { useReadOnly } from "./read-only.tsx";
import { useToast } from "./toaster.tsx";

/**
 * What every structured form shares: the browser-side check first (the same zod schema
 * the server applies), then the save; issues (the browser's or the server's) for
 * issueClaimer so each message lands next to its field; the unsaved-changes guard; a
 * toast and the way back to the list; read-only for viewers; delete.
 */
export function useFormSave<TForm, TValue>(opts: {
  /** "route", "cluster"...: in buttons, toasts and confirmations. */
  noun: string;
  /** The list page to return to. */
  href: string;
  initial: TForm;
  form: TForm;
  build: (form: TForm) => TValue;
  check: (value: TValue) => TFieldIssue[];
  /** Creates or updates; answers the saved name. */
  save: (value: TValue) => Promise<{ name: string }>;
  /** The stored resource's name when editing (enables delete). */
  existingName?: string | undefined;
  remove?: () => Promise<unknown>;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const toast = useToast();
  const readOnly = useReadOnly();
  const [saved, setSaved] = useState(false);
  const [clientIssues, setClientIssues] = useState<TFieldIssue[]>([]);
  // Against the form as it mounted: a parent re-render rebuilds `initial` with fresh row keys,
  // which would make an untouched form look edited (and block live updates of it).
  const [mounted] = useState(() => JSON.stringify(opts.initial));
  useUnsavedChanges(!saved && !readOnly && JSON.stringify(opts.form) !== mounted);
  const editing = opts.existingName !== undefined;

  const done = async (verb: string, name: string) => {
    setSaved(true);
    toast.ok(`${verb} ${opts.noun} "${name}"`);
    await queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
    router.push(opts.href);
  };
  const mutation = useMutation({
    mutationFn: opts.save,
    onSuccess: (row) => done(editing ? "Saved" : "Created", row.name),
    onError: (e) => toast.error(issuesOf(e).length ? `The ${opts.noun} was not saved: see the marked fields` : messageOf(e)),
  });
  const remove = useMutation({
    mutationFn: async () => opts.remove?.(),
    onSuccess: () => done("Deleted", opts.existingName ?? ""),
    onError: (e) => toast.error(`Not deleted: ${messageOf(e)}`),
  });

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    const value = opts.build(opts.form);
    const found = opts.check(value);
    setClientIssues(found);
    if (found.length) {
      mutation.reset();
      toast.error(`Fix ${found.length} issue(s) before saving`);
      return;
    }
    mutation.mutate(value);
  };

  const issues = clientIssues.length ? clientIssues : issuesOf(mutation.error);
  return {
    noun: opts.noun,
    existingName: opts.existingName,
    readOnly,
    submit,
    pending: mutation.isPending,
    error: mutation.error,
    issues,
    claimer: issueClaimer(issues),
    remove,
    cancel: () => router.push(opts.href),
  };
}

export type TFormSave = ReturnType<typeof useFormSave>;

/**
 * The listener, route config, cluster, secret and rate-limit forms: create / update /
 * delete through the resources router (the stale-edit check gets the revision the form
 * was loaded at).
 */
export function useResourceSave<TForm, TValue extends { name: string }>(opts: {
  kind: TResourceKind;
  existingName?: string | undefined;
  baseRevision?: number | undefined;
  initial: TForm;
  form: TForm;
  build: (form: TForm) => TValue;
  check: (value: TValue) => TFieldIssue[];
}) {
  const meta = RESOURCE_KINDS[opts.kind];
  const client = useTRPCClient();
  const { kind, existingName } = opts;
  return useFormSave({
    ...opts,
    noun: meta.noun,
    href: meta.href,
    // The resource is checked again by the same schema in the tRPC input (discriminated by kind).
    save: (resource) =>
      existingName !== undefined
        ? client.resources.update.mutate({ kind, resource, name: existingName, baseRevision: opts.baseRevision } as never)
        : client.resources.create.mutate({ kind, resource } as never),
    remove: () => client.resources.delete.mutate({ kind, name: existingName ?? "" }),
  });
}

/**
 * A structured form: the save's status above (a message, or the issues no field claims),
 * the fields (disabled for viewers), then Save / Cancel / Delete. `rest` is the
 * claimer's rest(), taken after every field asked for its issues.
 */
export function SaveForm({ save, rest, children, footer }: { save: TFormSave; rest: TFieldIssue[]; children: ReactNode; footer?: ReactNode }) {
  return (
    <form className="form" onSubmit={save.submit} noValidate aria-describedby="form-status">
      <div id="form-status">
        {save.error && save.issues.length === 0 && (
          <p className="banner banner-error" role="alert">
            {messageOf(save.error)}
          </p>
        )}
        {save.issues.length > 0 && rest.length === 0 && (
          <p className="banner banner-error" role="alert">
            The {save.noun} was not saved: fix the fields marked below.
          </p>
        )}
        <IssueList issues={rest} />
      </div>
      <fieldset disabled={save.readOnly} className="plain">
        {children}
        <FormActions save={save} />
      </fieldset>
      {footer}
    </form>
  );
}

/** Save / Cancel / Delete under a form (hidden for viewers). */
export function FormActions({ save }: { save: TFormSave }) {
  const { noun, existingName } = save;
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
              if (window.confirm(`Delete ${noun} "${existingName}" from the working config?`)) save.remove.mutate();
            }}
          >
            Delete {noun}
          </button>
        )}
      </div>
      {save.remove.error && <IssueList issues={issuesOf(save.remove.error).length ? issuesOf(save.remove.error) : [{ path: "", message: messageOf(save.remove.error) }]} />}
    </>
  );
}
