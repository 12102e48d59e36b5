"use client";
import { autocompletion, completionKeymap, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { yaml } from "@codemirror/lang-yaml";
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { Compartment, EditorState } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from "@codemirror/view";
import { useEffect, useImperativeHandle, useLayoutEffect, useMemo, useRef, type Ref } from "react";
import { parseConfigText } from "@switchyard/config-model";
import { completeAt, schemaIssues, type TJsonSchema } from "../lib/schema-assist.ts";

export type TYamlEditorHandle = { goToLine(line: number): void };
/** An issue to mark in the gutter: `line` 1-based; without a line it is not drawn. */
export type TEditorIssue = { line?: number | undefined; message: string; path?: string; source: string };

/**
 * The YAML editor (CodeMirror 6): line numbers, YAML highlighting, completion of keys and
 * enum values from the config's JSON Schema, the document's schema issues and the
 * server's issues (`issues`) as gutter markers at their line. Tab is left to the page
 * (keyboard users move on with it); Ctrl-Space opens completion.
 */
export function YamlEditor({
  value,
  onChange,
  label,
  schema,
  issues = [],
  readOnly = false,
  describedBy,
  handle,
  minLines = 14,
}: {
  value: string;
  onChange: (text: string) => void;
  label: string;
  schema: TJsonSchema;
  issues?: TEditorIssue[];
  readOnly?: boolean;
  describedBy?: string;
  handle?: Ref<TYamlEditorHandle>;
  minLines?: number;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  // The latest callback and schema for CodeMirror's listeners, updated after each render.
  const onChangeRef = useRef(onChange);
  const schemaRef = useRef(schema);
  useLayoutEffect(() => {
    onChangeRef.current = onChange;
    schemaRef.current = schema;
  });
  const editable = useMemo(() => new Compartment(), []);

  useEffect(() => {
    const complete = (ctx: CompletionContext): CompletionResult | null => {
      const r = completeAt(schemaRef.current, ctx.state.doc.toString(), ctx.pos);
      // Unasked, only while a word is typed or right after "key: ".
      if (!r || (r.from === r.to && !ctx.explicit && !ctx.matchBefore(/:\s$/))) return null;
      return { from: r.from, to: r.to, options: r.options.map((o) => ({ label: o.label, apply: o.apply, type: o.type, ...(o.detail ? { detail: o.detail } : {}), ...(o.info ? { info: o.info } : {}) })) };
    };
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          lintGutter(),
          history(),
          drawSelection(),
          indentOnInput(),
          bracketMatching(),
          highlightActiveLine(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          yaml(),
          autocompletion({ override: [complete] }),
          keymap.of([...completionKeymap, ...defaultKeymap, ...historyKeymap]),
          EditorState.tabSize.of(2),
          editable.of([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
          EditorView.contentAttributes.of({ "aria-label": label, ...(describedBy ? { "aria-describedby": describedBy } : {}), spellcheck: "false" }),
          EditorView.theme({ ".cm-content, .cm-gutter": { minHeight: `${minLines * 1.5}em` } }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) onChangeRef.current(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The view is made once, from the first props: value, issues and readOnly reach it through the
    // effects below; recreating it on every change would lose the cursor, selection and undo history.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // A value set from outside (a file loaded, a reset) replaces the document.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({ effects: editable.reconfigure([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]) });
  }, [readOnly, editable]);

  // The schema's issues for the text as it is, and the given ones, as gutter markers.
  const all = useMemo(() => {
    const parsed = parseConfigText(value);
    const own: TEditorIssue[] = parsed.ok ? schemaIssues(schema, value, parsed.value).map((i) => ({ ...i, source: "schema" })) : parsed.issues.map((i) => ({ ...i, source: "yaml" }));
    return [...issues, ...own];
  }, [value, schema, issues]);
  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const doc = v.state.doc;
    const diagnostics: Diagnostic[] = all
      .filter((i) => i.line !== undefined && i.line >= 1)
      .map((i) => {
        const line = doc.line(Math.min(i.line!, doc.lines));
        return { from: line.from, to: line.to, severity: "error", source: i.source, message: i.path ? `${i.path}: ${i.message}` : i.message };
      });
    v.dispatch(setDiagnostics(v.state, diagnostics));
  }, [all]);

  useImperativeHandle(handle, () => ({
    goToLine(n: number) {
      const v = view.current;
      if (!v) return;
      const line = v.state.doc.line(Math.max(1, Math.min(n, v.state.doc.lines)));
      v.dispatch({ selection: { anchor: line.from, head: line.to }, scrollIntoView: true });
      v.focus();
    },
  }));

  return <div ref={host} className="yaml-editor" data-testid="yaml-editor" data-issues={all.filter((i) => i.line !== undefined).length} />;
}
