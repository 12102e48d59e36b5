import { LineCounter, isNode, parseDocument } from "yaml";
import type { TConfigIssue } from "./errors.ts";

export type TParsedText = { ok: true; value: unknown } | { ok: false; issues: TConfigIssue[] };

/**
 * Parses a config document written as YAML or JSON (JSON is YAML, so one parser serves
 * both). Syntax errors come back as issues with their line and column.
 */
export function parseConfigText(text: string): TParsedText {
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
  const value: unknown = doc.toJS() ?? {};
  return { ok: true, value };
}

/** Finds the line of a JSON path (`a.b[0].c`) in YAML/JSON text, or the nearest parent that exists. */
export function lineOfPath(text: string, path: string): number | undefined {
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
