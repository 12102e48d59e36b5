import { formatPath, lineOfPath, parseConfigText } from "@switchyard/config-model";
import type { z } from "zod";

export type TDocIssue = { path: string; message: string; line?: number | undefined };

/**
 * Checks a YAML/JSON document in the browser with the SAME config-model schema the
 * server uses: syntax errors with their line, then schema issues with their path and
 * the line that path is on. Returns the parsed value (defaults filled) when valid.
 */
export function checkDocument<S extends z.ZodType>(schema: S, text: string): { ok: true; value: z.output<S> } | { ok: false; issues: TDocIssue[] } {
  const parsed = parseConfigText(text);
  if (!parsed.ok) return { ok: false, issues: parsed.issues };
  const result = schema.safeParse(parsed.value);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((i) => {
      const path = formatPath(i.path as PropertyKey[]);
      return { path, message: i.message, line: lineOfPath(text, path) };
    }),
  };
}

/** Server issues carry paths relative to the resource (`field`); give them lines in the text. */
export function withLines(text: string, issues: { path: string; message: string; field?: string }[]): TDocIssue[] {
  return issues.map((i) => ({ path: i.field ?? i.path, message: i.message, line: i.field !== undefined ? lineOfPath(text, i.field) : undefined }));
}
