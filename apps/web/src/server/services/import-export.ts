import { diffConfigs, lineOfPath, parseConfigText, redactConfig, validateConfig, type TConfig, type TConfigDiff } from "@switchyard/config-model";
import { getWorkingConfig, replaceWorkingConfig, type Db } from "@switchyard/db";
import { stringify } from "yaml";
import { restoreRedactedKeys } from "../rest/secrets.ts";
import { AppError } from "./app-error.ts";

export type TImportIssue = { path: string; message: string; line?: number | undefined };
export type TImportCheck = { valid: true; diff: TConfigDiff } | { valid: false; issues: TImportIssue[] };

/** The document as a config, or every issue with the line its path is on. */
function candidateOf(text: string, stored: TConfig): { config: TConfig } | { issues: TImportIssue[] } {
  const parsed = parseConfigText(text);
  if (!parsed.ok) return { issues: parsed.issues };
  const restored = restoreRedactedKeys(parsed.value, stored);
  const result = validateConfig(restored.value);
  const issues = [...restored.issues, ...(result.ok ? [] : result.issues)];
  if (issues.length || !result.ok) return { issues: issues.map((i) => ({ ...i, line: lineOfPath(text, i.path) })) };
  return { config: result.config };
}

/**
 * Checks an uploaded or pasted YAML/JSON config as PUT /api/v1/config would: syntax
 * errors with their line, then the whole config-model validation, each issue with the
 * line its path is on. "[redacted]" keys (from an export) keep the stored keys.
 */
export async function checkImport(db: Db, text: string): Promise<TImportCheck & { revision: number }> {
  const working = await getWorkingConfig(db);
  const c = candidateOf(text, working.config);
  if ("issues" in c) return { valid: false, issues: c.issues, revision: working.revision };
  return { valid: true, diff: diffConfigs(working.config, c.config), revision: working.revision };
}

/** Replaces the working config with the imported document, if nobody changed it since the check. */
export async function applyImport(db: Db, actor: string, text: string, expectedRevision: number): Promise<{ revision: number }> {
  const working = await getWorkingConfig(db);
  const c = candidateOf(text, working.config);
  if ("issues" in c) throw new AppError("VALIDATION", `the document has ${c.issues.length} issue(s)`, c.issues);
  const saved = await replaceWorkingConfig(db, c.config, { actor, expectedRevision });
  if (saved.ok) return { revision: saved.revision };
  if ("conflict" in saved) throw new AppError("CONFLICT", "the working config changed since you checked this document: check it again");
  throw new AppError("VALIDATION", "the document is not valid", saved.issues);
}

/** The working config as YAML, private keys redacted (an import keeps the stored ones). */
export async function exportWorkingYaml(db: Db): Promise<{ yaml: string; revision: number }> {
  const { config, revision } = await getWorkingConfig(db);
  return { yaml: stringify(redactConfig(config)), revision };
}
