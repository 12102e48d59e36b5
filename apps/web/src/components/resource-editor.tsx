"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useRef, useState, type FormEvent, type ReactNode } from "react";
import { stringify } from "yaml";
import { checkDocument, withLines, type TDocIssue } from "../lib/document-issues.ts";
import { configSchema, resourceSchema } from "../lib/schema-assist.ts";
import { RESOURCE_KINDS, type TResourceKind } from "../lib/resource-kinds.ts";
import { useTRPC } from "../lib/trpc.ts";
import { issuesOf, messageOf } from "../lib/trpc-errors.ts";
import { useUnsavedChanges } from "../lib/use-unsaved-changes.ts";
import { CertificateDetails } from "./certificate-details.tsx";
import { useLiveRecord } from "./live-record.tsx";
import { useToast } from "./toaster.tsx";
import { useReadOnly } from "./read-only.tsx";
import { YamlEditor, type TEditorIssue, type TYamlEditorHandle } from "./yaml-editor.tsx";

/**
 * Edits one resource as a YAML document: every field of config model v1 is editable,
 * checked as you type with the same config-model schema the server applies, issues
 * listed with their line and path; the panel beside it shows the document with every
 * default filled in. The server then validates the whole config and its issues come
 * back to the same list, with lines.
 */
/** `tabs`: the Form / "Edit as YAML" switch, for kinds that also have a structured form. */
export function ResourceEditor({ kind, name, tabs }: { kind: TResourceKind; name?: string; tabs?: ReactNode }) {
  const meta = RESOURCE_KINDS[kind];
  const trpc = useTRPC();
  const readOnly = useReadOnly();
  const router = useRouter();
  const toast = useToast();
  const queryClient = useQueryClient();
  const query = useQuery({ ...trpc.resources.get.queryOptions({ kind, name: name ?? "" }), enabled: name !== undefined, staleTime: Infinity, refetchOnWindowFocus: false });
  // Another user's change replaces the document only while it has no unsaved edits (else a banner says who changed it).
  const live = useLiveRecord(query.data, (d) => d.resource, [`${kind}/${name ?? ""}`]);
  const existing = { ...query, data: live.shown };
  const [loadedKey, setLoadedKey] = useState(live.key);
  const [text, setText] = useState<string | null>(name === undefined ? meta.template : null);
  const [initial, setInitial] = useState<string>(name === undefined ? meta.template : "");
  // The revision the document was loaded at: sent back so a stale edit gets 409 (not an overwrite).
  const [baseRevision, setBaseRevision] = useState<number | undefined>(undefined);
  const [serverIssues, setServerIssues] = useState<TDocIssue[]>([]);
  const editor = useRef<TYamlEditorHandle>(null);
  const schema = useMemo(() => resourceSchema(configSchema(), kind), [kind]);

  // The stored resource becomes the document once, when it first arrives (set during render,
  // React's pattern for state adjusted from new data: no extra render with an empty editor).
  if (existing.data && (text === null || loadedKey !== live.key)) {
    setLoadedKey(live.key);
    const yaml = stringify(existing.data.resource);
    setText(yaml);
    setInitial(yaml);
    setBaseRevision(existing.data.revision);
  }

  const doc = text ?? "";
  const dirty = text !== null && text !== initial;
  useUnsavedChanges(dirty);
  const check = useMemo(() => checkDocument(meta.schema, doc), [meta.schema, doc]);
  const [submitted, setSubmitted] = useState(false);

  const onSaved = async (row: { name: string }) => {
    setInitial(doc);
    toast.ok(`${name === undefined ? "Created" : "Saved"} ${meta.label.toLowerCase()} "${row.name}"`);
    await queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
    router.push(meta.href);
  };
  const onError = (err: unknown) => {
    const issues = issuesOf(err);
    setServerIssues(issues.length ? withLines(doc, issues) : [{ path: "", message: messageOf(err) }]);
    toast.error(`Not saved: ${messageOf(err)}`);
  };
  const create = useMutation(trpc.resources.create.mutationOptions({ onSuccess: onSaved, onError }));
  const update = useMutation(trpc.resources.update.mutationOptions({ onSuccess: onSaved, onError }));
  const pending = create.isPending || update.isPending;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    setServerIssues([]);
    if (!check.ok) {
      toast.error(`Fix ${check.issues.length} issue(s) before saving`);
      return;
    }
    // The discriminated input type is checked by the same schema on the server.
    const input = { kind, resource: check.value } as never;
    if (name === undefined) create.mutate(input);
    else update.mutate({ ...(input as object), name, baseRevision } as never);
  };

  const goToLine = (line: number | undefined) => {
    if (line !== undefined) editor.current?.goToLine(line);
  };
  // The server's issues are drawn in the editor's gutter at their line.
  const gutterIssues = useMemo<TEditorIssue[]>(() => serverIssues.map((i) => ({ ...i, source: "server" })), [serverIssues]);

  if (name !== undefined && existing.isError) {
    return (
      <div className="empty" role="alert">
        <p>{existing.error.message}</p>
        <Link href={meta.href} className="btn">
          Back to {meta.plural.toLowerCase()}
        </Link>
      </div>
    );
  }
  if (text === null) return <p className="muted" aria-busy="true">Loading…</p>;

  const clientIssues = check.ok ? [] : check.issues;
  const shown = [...serverIssues, ...(submitted || dirty ? clientIssues : [])];
  return (
    <>
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link href={meta.href}>{meta.plural}</Link> /
          </p>
          <h1>{name ?? `New ${meta.label.toLowerCase()}`}</h1>
          <p className="muted">{meta.blurb}</p>
        </div>
      </div>
      {tabs}
      {live.banner}
      {existing.data?.usedBy && existing.data.usedBy.length > 0 && (
        <p className="banner" role="note">
          Used by {existing.data.usedBy.join(", ")}. Renaming is refused while it is used.
        </p>
      )}
      {existing.data?.certificate && <CertificateDetails info={existing.data.certificate} />}
      <form className="editor" onSubmit={submit} noValidate>
        <div className="editor-main">
          <span id="resource-document-label" className="label">
            {meta.label} (YAML or JSON)
          </span>
          {kind === "secrets" && (
            <p className="hint">
              The private key is write-only: it shows as <code>[redacted]</code>; leave it so to keep the stored key, or paste a new PEM key.
            </p>
          )}
          <YamlEditor
            value={doc}
            onChange={setText}
            label={`${meta.label} (YAML or JSON)`}
            schema={schema}
            issues={gutterIssues}
            readOnly={readOnly}
            describedBy="resource-issues"
            handle={editor}
            minLines={Math.max(14, Math.min(40, doc.split("\n").length + 2))}
          />
          <div id="resource-issues">
            {shown.length > 0 ? (
              <ul className="issues" aria-label="Issues">
                {shown.map((i, n) => (
                  <li key={n} className="field-error" role="alert">
                    <button type="button" className="linkish" onClick={() => goToLine(i.line)} disabled={i.line === undefined}>
                      {i.line !== undefined ? `line ${i.line}` : "document"}
                    </button>{" "}
                    {i.path && <code>{i.path}</code>} {i.message}
                  </li>
                ))}
              </ul>
            ) : (
              <p className="hint">{check.ok ? "Valid against config model v1." : ""}</p>
            )}
          </div>
          <div className="actions">
            <button type="submit" className="btn btn-primary" disabled={pending} hidden={readOnly}>
              {pending ? "Saving…" : name === undefined ? `Create ${meta.label.toLowerCase()}` : `Save ${meta.label.toLowerCase()}`}
            </button>
            <Link href={meta.href} className="btn btn-ghost">
              Cancel
            </Link>
            {dirty && <span className="muted small">Unsaved changes</span>}
          </div>
        </div>
        <aside className="editor-side" aria-label="With defaults">
          <h2>With defaults</h2>
          <p className="hint">What the proxy will use: your document with every omitted field at its default.</p>
          <pre className="mono small code-view">{check.ok ? stringify(check.value) : "— fix the issues to see the effective document —"}</pre>
        </aside>
      </form>
    </>
  );
}
