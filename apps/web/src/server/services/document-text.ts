import { LineCounter, parseDocument } from "yaml";
import { MAX_FLOW_NESTING, flowNestingDepth, parseConfigText } from "@switchyard/config-model";
import { AppError } from "./app-error.ts";

export type TDocumentFormat = "json" | "yaml";

/**
 * JSON or YAML text as a value: a malformed document is MALFORMED_BODY naming the line,
 * so the user can find it; an empty one is `undefined`. YAML goes through config-model's
 * parser (bounded nesting); JSON through JSON.parse (strict).
 */
export function parseDocumentText(text: string, format: TDocumentFormat): unknown {
  if (text.trim() === "") return undefined;
  if (format === "json") {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const explicit = /line (\d+)/.exec(message);
      const position = /position (\d+)/.exec(message);
      const line = explicit ? Number(explicit[1]) : position ? lineOfOffset(text, Number(position[1])) : jsonErrorLine(text);
      throw new AppError("MALFORMED_BODY", `malformed JSON${line ? ` at line ${line}` : ""}: ${message}`, [{ path: "", message, ...(line ? { line } : {}) }]);
    }
  }
  const parsed = parseConfigText(text);
  if (!parsed.ok) {
    const first = parsed.issues[0];
    throw new AppError("MALFORMED_BODY", `malformed YAML${first?.line ? ` at line ${first.line}` : ""}: ${first?.message ?? "parse error"}`, parsed.issues);
  }
  return parsed.value;
}

/** The line (1-based) of a character offset, for JSON.parse errors that only give a position. */
export function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * V8 gives no position for some JSON errors ("Unexpected token 'o', ...oops..."); the
 * YAML parser in JSON-schema mode finds the same fault and knows its line.
 */
function jsonErrorLine(text: string): number | undefined {
  // yaml recurses per bracket: hostile nesting would exhaust the stack (fatal in V8's regexp compiler).
  if (flowNestingDepth(text) > MAX_FLOW_NESTING) return undefined;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { schema: "json", lineCounter });
  const first = doc.errors[0];
  return first ? lineCounter.linePos(first.pos[0]).line : undefined;
}
