import type { IncomingMessage } from "node:http";
import { LineCounter, parseDocument } from "yaml";
import { MAX_FLOW_NESTING, flowNestingDepth, parseConfigText } from "@switchyard/config-model";
import { RestError, bodyFormat, lineOfOffset, readBody, type TBodyFormat } from "./http.ts";

export type TParsedBody = { value: unknown; text: string; format: TBodyFormat };

/**
 * Reads and parses a JSON or YAML request body. Malformed text is a 400 that names the
 * line, so the user can find it; an empty body is `undefined`.
 */
export async function readDocument(req: IncomingMessage): Promise<TParsedBody> {
  const format = bodyFormat(req);
  const text = await readBody(req);
  if (text.trim() === "") return { value: undefined, text, format };
  if (format === "json") {
    try {
      return { value: JSON.parse(text) as unknown, text, format };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const explicit = /line (\d+)/.exec(message);
      const position = /position (\d+)/.exec(message);
      const line = explicit ? Number(explicit[1]) : position ? lineOfOffset(text, Number(position[1])) : jsonErrorLine(text);
      throw new RestError(400, "SWY_REST_MALFORMED_BODY", `malformed JSON${line ? ` at line ${line}` : ""}: ${message}`, {
        issues: [{ path: "", message, ...(line ? { line } : {}) }],
      });
    }
  }
  const parsed = parseConfigText(text);
  if (!parsed.ok) {
    const first = parsed.issues[0];
    throw new RestError(400, "SWY_REST_MALFORMED_BODY", `malformed YAML${first?.line ? ` at line ${first.line}` : ""}: ${first?.message ?? "parse error"}`, {
      issues: parsed.issues,
    });
  }
  return { value: parsed.value, text, format };
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
