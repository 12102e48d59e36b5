import { AppError } from "./app-error.ts";
import { jsonErrorLineBounded, parseYamlBounded } from "./bounded-yaml.ts";

export type TDocumentFormat = "json" | "yaml";

/**
 * JSON or YAML text as a value: a malformed document is MALFORMED_BODY naming the line,
 * so the user can find it; an empty one is `undefined`. YAML goes through config-model's
 * parser (bounded size and nesting) on the bounded parser thread; JSON through JSON.parse
 * (strict, native, linear).
 */
export async function parseDocumentText(text: string, format: TDocumentFormat): Promise<unknown> {
  if (text.trim() === "") return undefined;
  if (format === "json") {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const explicit = /line (\d+)/.exec(message);
      const position = /position (\d+)/.exec(message);
      // V8 gives no position for some errors ("Unexpected token 'o', ...oops..."): the YAML parser finds the line.
      const line = explicit ? Number(explicit[1]) : position ? lineOfOffset(text, Number(position[1])) : await jsonErrorLineBounded(text).catch(() => undefined);
      throw new AppError("MALFORMED_BODY", `malformed JSON${line ? ` at line ${line}` : ""}: ${message}`, [{ path: "", message, ...(line ? { line } : {}) }]);
    }
  }
  const parsed = await parseYamlBounded(text);
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
