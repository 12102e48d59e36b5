import { LineCounter, isNode, parseDocument } from "yaml";
import type { TConfigIssue } from "./errors.ts";

export type TParsedText = { ok: true; value: unknown } | { ok: false; issues: TConfigIssue[] };

/**
 * The largest config document any entry point reads (the console's REST bodies, the import
 * page, a standalone proxy's file). The yaml parser costs about 1 KiB of heap per node, so
 * this also bounds what one document can make it allocate.
 */
export const MAX_CONFIG_TEXT_BYTES = 5 * 1024 * 1024;

/**
 * Why a document is refused before it reaches the parser, or null: larger than
 * MAX_CONFIG_TEXT_BYTES, or nested deeper than the parser's recursion can take (flow
 * brackets or block indentation / compact `- - -` sequences).
 */
export function refuseBeforeParsing(text: string): TConfigIssue | null {
  if (text.length > MAX_CONFIG_TEXT_BYTES) return { path: "", message: `the document is larger than ${MAX_CONFIG_TEXT_BYTES} bytes` };
  if (flowNestingDepth(text) > MAX_FLOW_NESTING) return { path: "", message: `document nested more than ${MAX_FLOW_NESTING} levels deep ([ and { brackets)` };
  if (blockNestingDepth(text) > MAX_BLOCK_NESTING) {
    return { path: "", message: `document nested more than ${MAX_BLOCK_NESTING} levels deep (indentation and "- " / "? " entries)` };
  }
  return null;
}

/**
 * Parses a config document written as YAML or JSON (JSON is YAML, so one parser serves
 * both). Syntax errors come back as issues with their line and column.
 */
export function parseConfigText(text: string): TParsedText {
  const refused = refuseBeforeParsing(text);
  if (refused) return { ok: false, issues: [refused] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    return {
      ok: false,
      issues: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { path: "", message: `line ${pos.line}, column ${pos.col}: ${e.message.split("\n")[0]}`, line: pos.line };
      }),
    };
  }
  try {
    // maxAliasCount (yaml's default 100) refuses "billion laughs" alias bombs by throwing.
    const value: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
    return { ok: true, value };
  } catch (err) {
    return { ok: false, issues: [{ path: "", message: `cannot read the document: ${(err as Error).message}` }] };
  }
}

/**
 * Deepest bracket nesting a config document may have (a real one nests about ten deep).
 * yaml parses recursively: thousands of `[` exhaust the stack, and an overflow inside V8's
 * regexp compiler is a fatal process error, not an exception (found by test/hardening).
 */
export const MAX_FLOW_NESTING = 64;

/** Deepest block nesting (indentation levels plus compact `- - x` entries on one line); the same recursion as flow nesting. */
export const MAX_BLOCK_NESTING = 64;

/** Deepest `[` / `{` nesting in `text`, counted without regard to quoting (so never less than the real depth). */
export function flowNestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123) {
      if (++depth > max) max = depth;
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return max;
}

const SPACE = 32;
const TAB = 9;
const isBlank = (c: number) => c === SPACE || c === TAB;

/**
 * An upper bound of the block nesting in `text`, in one pass: the open indentation levels
 * (a stack of columns, as a YAML or Python tokenizer keeps) plus, on each line, the
 * entries that open a level without a new line (`- - - x`, `? - x`, `- &a !t - x`).
 * Comment and block-scalar lines may count a level too many, never one too few.
 */
export function blockNestingDepth(text: string): number {
  const indents: number[] = [];
  let max = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    let i = start;
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    if (i < end && text.charCodeAt(i) !== 35 /* # */ && text.charCodeAt(i) !== 13 /* \r */) {
      const indent = i - start;
      while (indents.length && indents[indents.length - 1]! >= indent) indents.pop();
      indents.push(indent);
      let inline = 0;
      for (;;) {
        const c = text.charCodeAt(i);
        const next = i + 1 < end ? text.charCodeAt(i + 1) : SPACE;
        if ((c === 45 /* - */ || c === 63 /* ? */ || c === 58) /* : */ && isBlank(next)) i++;
        else if (c === 38 /* & */ || c === 33 /* ! */) while (i < end && !isBlank(text.charCodeAt(i))) i++;
        else break;
        inline++;
        while (i < end && isBlank(text.charCodeAt(i))) i++;
        if (i >= end) break;
      }
      if (indents.length + inline > max) max = indents.length + inline;
    }
    start = end + 1;
  }
  return max;
}

/** Finds the line of a JSON path (`a.b[0].c`) in YAML/JSON text, or the nearest parent that exists. */
export function lineOfPath(text: string, path: string): number | undefined {
  return linesOfPaths(text, [path])[0];
}

/** lineOfPath for many paths, parsing the text once (a document with many issues is read once, not once per issue). */
export function linesOfPaths(text: string, paths: readonly string[]): (number | undefined)[] {
  if (!paths.length || refuseBeforeParsing(text)) return paths.map(() => undefined);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  return paths.map((path) => {
    const parts = splitPath(path);
    for (let n = parts.length; n >= 0; n--) {
      const node = doc.getIn(parts.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  });
}

/**
 * The line of the first error in text that JSON.parse refused (V8 gives no position for
 * some errors): the YAML parser in JSON-schema mode finds the same fault and knows its line.
 */
export function jsonErrorLine(text: string): number | undefined {
  if (refuseBeforeParsing(text)) return undefined;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { schema: "json", lineCounter });
  const first = doc.errors[0];
  return first ? lineCounter.linePos(first.pos[0]).line : undefined;
}

function splitPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[1] !== undefined) out.push(m[1]);
  }
  return out;
}
