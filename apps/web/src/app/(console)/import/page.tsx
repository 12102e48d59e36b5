"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useMemo, useRef, useState } from "react";
import { ChangesView } from "../../../components/changes-view.tsx";
import { useToast } from "../../../components/toaster.tsx";
import { useTRPC, useTRPCClient } from "../../../lib/trpc.ts";
import { issuesOf, messageOf } from "../../../lib/trpc-errors.ts";
import { useUnsavedChanges } from "../../../lib/use-unsaved-changes.ts";
import { useReadOnly } from "../../../components/read-only.tsx";
import { YamlEditor, type TEditorIssue, type TYamlEditorHandle } from "../../../components/yaml-editor.tsx";
import { configSchema } from "../../../lib/schema-assist.ts";

/** Upload or paste a whole config, see its issues by line and the diff, apply it; or export. */
export default function ImportPage() {
  const trpc = useTRPC();
  const readOnly = useReadOnly();
  const client = useTRPCClient();
  const toast = useToast();
  const queryClient = useQueryClient();
  const [text, setText] = useState("");
  const [applied, setApplied] = useState(false);
  const editor = useRef<TYamlEditorHandle>(null);
  const check = useMutation(trpc.config.importCheck.mutationOptions({ onError: (e) => toast.error(messageOf(e)) }));
  const apply = useMutation(
    trpc.config.importApply.mutationOptions({
      onSuccess: async () => {
        setApplied(true);
        toast.ok("Imported: the working config was replaced. Publish to roll it out.");
        check.reset();
        await queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
      },
      onError: (e) => toast.error(`Not imported: ${messageOf(e)}`),
    }),
  );
  useUnsavedChanges(text !== "" && !applied);

  const result = check.data;
  const goToLine = (line: number | undefined) => {
    if (line !== undefined) editor.current?.goToLine(line);
  };
  // The server's issues (references, clashes: what the schema cannot say) in the gutter too.
  const gutterIssues = useMemo<TEditorIssue[]>(() => (result && !result.valid ? result.issues.map((i) => ({ ...i, source: "server" })) : []), [result]);
  const download = async () => {
    try {
      const { yaml } = await client.config.export.query();
      const url = URL.createObjectURL(new Blob([yaml], { type: "application/yaml" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = "switchyard-working-config.yaml";
      a.click();
      URL.revokeObjectURL(url);
      toast.ok("Exported the working config (private keys redacted)");
    } catch (e) {
      toast.error(`Export failed: ${messageOf(e)}`);
    }
  };

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Import / export</h1>
          <p className="muted">
            Replace the working config with a YAML or JSON document (nothing goes live until you publish), or download it. Exports redact private keys; importing <code>[redacted]</code> keeps the stored key.
          </p>
        </div>
        <button type="button" className="btn" onClick={download}>
          Export working config (YAML)
        </button>
      </div>
      <div className="card">
        <div className="field">
          <label htmlFor="import-file">Upload a file</label>
          <input
            id="import-file"
            type="file"
            accept=".yaml,.yml,.json,application/yaml,application/json,text/plain"
            onChange={async (e) => {
              const f = e.target.files?.[0];
              if (!f) return;
              setText(await f.text());
              setApplied(false);
              check.reset();
            }}
          />
        </div>
        <div className="field">
          <span className="label">…or paste the document</span>
          <YamlEditor
            value={text}
            onChange={(t) => {
              setText(t);
              setApplied(false);
              check.reset();
            }}
            label="…or paste the document"
            schema={configSchema()}
            issues={gutterIssues}
            handle={editor}
            minLines={18}
          />
        </div>
        <div className="actions">
          <button type="button" className="btn btn-primary" disabled={!text || check.isPending} onClick={() => check.mutate({ text })}>
            {check.isPending ? "Checking…" : "Check"}
          </button>
          {result?.valid && (
            <button type="button" className="btn btn-danger" disabled={apply.isPending || readOnly} title={readOnly ? "Viewers cannot change the working config" : undefined} onClick={() => apply.mutate({ text, revision: result.revision })}>
              {apply.isPending ? "Applying…" : "Replace the working config"}
            </button>
          )}
        </div>
        {apply.error && issuesOf(apply.error).length === 0 && (
          <p className="banner banner-error" role="alert">
            {messageOf(apply.error)}
          </p>
        )}
      </div>
      {result && !result.valid && (
        <section className="card" aria-label="Import issues">
          <h2>
            {result.issues.length} issue{result.issues.length === 1 ? "" : "s"}: nothing was changed
          </h2>
          <ul className="issues">
            {result.issues.map((i, n) => (
              <li key={n} className="field-error" role="alert" data-line={i.line}>
                <button type="button" className="linkish" onClick={() => goToLine(i.line)} disabled={i.line === undefined}>
                  {i.line !== undefined ? `line ${i.line}` : "document"}
                </button>{" "}
                {i.path && <code>{i.path}</code>} {i.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      {result?.valid && (
        <section className="card" aria-label="Import diff">
          <h2>Valid. Changes against the working config</h2>
          <ChangesView changes={result.changes} label="Import changes" empty="No changes: the document equals the working config." />
        </section>
      )}
    </>
  );
}
