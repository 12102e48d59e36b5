import { LineCounter, isNode, parseDocument } from "yaml";
import type { TConfigIssue } from "./errors.ts";

export type TParsedText = { ok: true; value: unknown } | { ok: false; issues: TConfigIssue[] };

/**
 * Parses a config document written as YAML or JSON (JSON is YAML, so one parser serves
 * both). Syntax errors come back as issues with their line and column.
 */
export function parseConfigText(text: string): TParsedText {
  const depth = flowNestingDepth(text);
  if (depth > MAX_FLOW_NESTING) {
    return { ok: false, issues: [{ path: "", message: `document nested more than ${MAX_FLOW_NESTING} levels deep ([ and { brackets)` }] };
  }
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

/** Finds the line of a JSON path (`a.b[0].c`) in YAML/JSON text, or the nearest parent that exists. */
export function lineOfPath(text: string, path: string): number | undefined {
  if (flowNestingDepth(text) > MAX_FLOW_NESTING) return undefined;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const parts = splitPath(path);
  for (let n = parts.length; n >= 0; n--) {
    const node = doc.getIn(parts.slice(0, n), true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

function splitPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[1] !== undefined) out.push(m[1]);
  }
  return out;
}
