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
  const json = parseJsonObject(text);
  if (json !== undefined) return { ok: true, value: json };
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
 * A JSON object document as the YAML parser would read it, or undefined to let that parser
 * decide (not JSON, not an object, or a key twice in one object: YAML refuses that where
 * JSON.parse keeps the last). JSON is YAML, so the value is the same; JSON.parse is ~60x
 * faster and allocates a fraction: a 10,000-route file parses in ~10 ms instead of ~400.
 */
function parseJsonObject(text: string): unknown {
  if (!/^\s*\{/.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return hasDuplicateKeys(text) ? undefined : value;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const isJsonSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Keys of one object compared by a linear scan up to this many; past it, through a Set (a hostile object may have 100,000). */
const LINEAR_KEYS = 16;

/** Whether some object of `text` (valid JSON) has a key twice; keys compare decoded, as the YAML parser compares them. */
function hasDuplicateKeys(text: string): boolean {
  // The keys of every open object, innermost last; `starts` marks where each open "{" or "[" begins in it.
  const keys: string[] = [];
  const starts: number[] = [];
  const sets: (Set<string> | null)[] = [];
  const inObject: boolean[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i + 1;
      let escaped = false;
      for (i = start; text.charCodeAt(i) !== QUOTE; i++) {
        if (text.charCodeAt(i) === BACKSLASH) {
          escaped = true;
          i++;
        }
      }
      if (!inObject[inObject.length - 1]) continue;
      let next = i + 1;
      while (isJsonSpace(text.charCodeAt(next))) next++;
      // In an object, a string followed by ":" is a key (a value is followed by "," or "}").
      if (text.charCodeAt(next) !== COLON) continue;
      const raw = text.slice(start, i);
      const key = escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
      const top = starts.length - 1;
      const set = sets[top];
      if (set) {
        if (set.has(key)) return true;
        set.add(key);
        continue;
      }
      for (let k = starts[top] as number; k < keys.length; k++) if (keys[k] === key) return true;
      keys.push(key);
      if (keys.length - (starts[top] as number) > LINEAR_KEYS) sets[top] = new Set(keys.splice(starts[top] as number));
    } else if (c === 0x7b || c === 0x5b) {
      starts.push(keys.length);
      sets.push(null);
      inObject.push(c === 0x7b);
    } else if (c === 0x7d || c === 0x5d) {
      keys.length = starts.pop() as number;
      sets.pop();
      inObject.pop();
    }
  }
  return false;
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
