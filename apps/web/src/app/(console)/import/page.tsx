"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useRef, useState } from "react";
import { ChangesView } from "../../../components/changes-view.tsx";
import { useToast } from "../../../components/toaster.tsx";
import { useTRPC, useTRPCClient } from "../../../lib/trpc.ts";
import { issuesOf, messageOf } from "../../../lib/trpc-errors.ts";
import { useUnsavedChanges } from "../../../lib/use-unsaved-changes.ts";
import { useReadOnly } from "../../../components/read-only.tsx";
import { YamlEditor, type TEditorIssue, type TYamlEditorHandle } from "../../../components/yaml-editor.tsx";
import { configSchema, type TJsonSchema } from "../../../lib/schema-assist.ts";

type TSource = "yaml" | "openapi" | "envoy";
const SOURCES: { value: TSource; label: string }[] = [
  { value: "yaml", label: "Switchyard YAML/JSON" },
  { value: "openapi", label: "OpenAPI 3 (adds routes)" },
  { value: "envoy", label: "Envoy v3 bootstrap" },
];
/** Foreign documents are not Switchyard configs: the editor checks no schema on them. */
const NO_SCHEMA: TJsonSchema = {};

/** Upload or paste a whole config, see its issues by line and the diff, apply it; or export. */
export default function ImportPage() {
  const trpc = useTRPC();
  const readOnly = useReadOnly();
  const client = useTRPCClient();
  const toast = useToast();
  const queryClient = useQueryClient();
  const [text, setText] = useState("");
  const [source, setSource] = useState<TSource>("yaml");
  const [cluster, setCluster] = useState("");
  const [applied, setApplied] = useState(false);
  const editor = useRef<TYamlEditorHandle>(null);
  const clusters = useQuery({ ...trpc.resources.list.queryOptions({ kind: "clusters" }), enabled: source === "openapi" });
  const check = useMutation(trpc.config.importCheck.mutationOptions({ onError: (e) => toast.error(messageOf(e)) }));
  // A foreign document is converted on the server to Switchyard YAML, then checked and applied as any document.
  const convert = useMutation(
    trpc.config.importConvert.mutationOptions({
      onSuccess: (converted) => check.mutate({ text: converted.text }),
      onError: (e) => toast.error(`Not converted: ${messageOf(e)}`),
    }),
  );
  const documentText = source === "yaml" ? text : (convert.data?.text ?? "");
  const chosenCluster = cluster || clusters.data?.[0]?.name || "";
  const runCheck = () => {
    if (source === "yaml") check.mutate({ text });
    else convert.mutate({ source, text, ...(source === "openapi" ? { cluster: chosenCluster } : {}) });
  };
  const edited = () => {
    setApplied(false);
    check.reset();
    convert.reset();
  };
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
  // (A converted document's lines are not the source's: its issues stay in the list only.)
  const gutterIssues = useMemo<TEditorIssue[]>(() => (result && !result.valid && source === "yaml" ? result.issues.map((i) => ({ ...i, source: "server" })) : []), [result, source]);
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
          <label htmlFor="import-source">Source format</label>
          <select
            id="import-source"
            value={source}
            onChange={(e) => {
              setSource(e.target.value as TSource);
              edited();
            }}
          >
            {SOURCES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        {source === "openapi" && (
          <div className="field">
            <label htmlFor="import-cluster">Cluster for the imported routes</label>
            <select
              id="import-cluster"
              value={chosenCluster}
              onChange={(e) => {
                setCluster(e.target.value);
                edited();
              }}
            >
              {(clusters.data ?? []).map((c) => (
                <option key={c.name} value={c.name}>
                  {c.name}
                </option>
              ))}
            </select>
            <p className="muted">One route per path and method goes in front of the first route config&apos;s first virtual host; the rest of the working config stays.</p>
          </div>
        )}
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
              edited();
            }}
          />
        </div>
        <div className="field">
          <span className="label">…or paste the document</span>
          <YamlEditor
            value={text}
            onChange={(t) => {
              setText(t);
              edited();
            }}
            label="…or paste the document"
            schema={source === "yaml" ? configSchema() : NO_SCHEMA}
            issues={gutterIssues}
            handle={editor}
            minLines={18}
          />
        </div>
        <div className="actions">
          <button type="button" className="btn btn-primary" disabled={!text || check.isPending || convert.isPending} onClick={runCheck}>
            {check.isPending || convert.isPending ? "Checking…" : source === "yaml" ? "Check" : "Convert and check"}
          </button>
          {result?.valid && (
            <button type="button" className="btn btn-danger" disabled={apply.isPending || readOnly} title={readOnly ? "Viewers cannot change the working config" : undefined} onClick={() => apply.mutate({ text: documentText, revision: result.revision })}>
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
      {convert.data && (
        <section className="card" aria-label="Conversion report">
          <h2>{convert.data.unmapped.length === 0 ? "Converted: every field was mapped" : `Converted: ${convert.data.unmapped.length} field${convert.data.unmapped.length === 1 ? "" : "s"} not mapped`}</h2>
          {convert.data.unmapped.length > 0 && (
            <ul className="issues">
              {convert.data.unmapped.map((n, i) => (
                <li key={i}>
                  {n.path && <code>{n.path}</code>} {n.message}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
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
