import { diffConfigs, emptyConfig, hashConfig, redactConfig, validateConfig, yamlSchemaModeline, type TConfig, type TConfigDiff, type TConfigIssue } from "@switchyard/config-model";
import { findUnusableTlsMaterial } from "@switchyard/config-model/tls";
import { getLatestVersion, replaceWorkingConfig } from "@switchyard/db";
import { stringify } from "yaml";
import { AppError } from "./app-error.ts";
import { linesOfPathsBounded } from "./bounded-yaml.ts";
import type { Db, TWho } from "./context.ts";
import { parseDocumentText, type TDocumentFormat } from "./document-text.ts";
import { restoreRedactedKeys } from "./redacted-keys.ts";
import { readWorkingConfig, refuseStaleReplace } from "./working-config.ts";
import { structuralDiff, type TStructuralDiff } from "../../lib/structural-diff.ts";

/**
 * The working config as one document: read it (keys redacted), check a document against
 * it, replace it. The REST API (GET|PUT /config, POST /config/validate) and the import
 * page share these, so both refuse the same documents with the same issues.
 */

export type TDocumentInput = { text: string; format?: TDocumentFormat | undefined };
export type TImportIssue = { path: string; message: string; line?: number | undefined };
/** `changes`: the structural diff (values before and after, routes moved) the import page shows. */
export type TImportCheck = { valid: true; diff: TConfigDiff; changes: TStructuralDiff } | { valid: false; issues: TImportIssue[] };

/** The working config, private keys redacted, and its revision (the ETag). */
export async function workingConfigDocument(db: Db): Promise<{ config: TConfig; revision: number }> {
  const { config, revision } = await readWorkingConfig(db);
  return { config: redactConfig(config), revision };
}

/** The working config as YAML, private keys redacted (an import keeps the stored ones). */
/** The working config as YAML, private keys redacted; with `schemaUrl`, its first line names the JSON Schema for editors. */
export async function exportWorkingYaml(db: Db, schemaUrl: string | null = null): Promise<{ yaml: string; revision: number }> {
  const { config, revision } = await workingConfigDocument(db);
  return { yaml: (schemaUrl ? yamlSchemaModeline(schemaUrl) : "") + stringify(config), revision };
}

/**
 * The document as a config, or every issue: a malformed document (MALFORMED_BODY, with
 * its line), "[redacted]" keys with nothing stored to keep, then config-model's whole
 * validation. YAML issues carry the line their path is on.
 */
async function candidateOf(input: TDocumentInput, stored: TConfig): Promise<{ config: TConfig } | { issues: TImportIssue[] }> {
  const format = input.format ?? "yaml";
  const value = await parseDocumentText(input.text, format);
  if (value === undefined) return { issues: [{ path: "", message: "the document is empty: send a config document (JSON or YAML)" }] };
  const restored = restoreRedactedKeys(value, stored);
  const validated = validateConfig(restored.value);
  // The PEM material in use must load, as the proxy will load it (config-model/tls).
  const unusable = validated.ok ? findUnusableTlsMaterial(validated.config) : [];
  const result = unusable.length ? { ok: false as const, issues: unusable } : validated;
  // The redaction issue already explains that field; the PEM complaint about it would only confuse.
  const explained = new Set(restored.issues.map((i) => i.path));
  const issues: TConfigIssue[] = [...restored.issues, ...(result.ok ? [] : result.issues.filter((i) => !explained.has(i.path)))];
  if (issues.length || !result.ok) return { issues: await withLines(issues, input.text, format) };
  return { config: result.config };
}

/** Each issue with the line its path is on (YAML only), the document parsed once for all of them. */
async function withLines(issues: readonly { path: string; message: string }[], text: string, format: TDocumentFormat): Promise<TImportIssue[]> {
  const lines = format === "yaml" ? await linesOfPathsBounded(text, issues.map((i) => i.path)).catch(() => []) : [];
  return issues.map(({ path, message }, n) => {
    const line = lines[n];
    return line === undefined ? { path, message } : { path, message, line };
  });
}

/** The refusal of a document: every issue, with its line for YAML. */
function refuse(issues: TImportIssue[]): AppError {
  return new AppError("VALIDATION", "invalid config", issues);
}

/** The import page's check: a malformed or invalid document is an answer, not an error; the diff is against the working config. */
export async function checkImport(db: Db, input: TDocumentInput): Promise<TImportCheck & { revision: number }> {
  const working = await readWorkingConfig(db);
  let c: Awaited<ReturnType<typeof candidateOf>>;
  try {
    c = await candidateOf(input, working.config);
  } catch (err) {
    if (err instanceof AppError && err.code === "MALFORMED_BODY") return { valid: false, issues: err.issues, revision: working.revision };
    throw err;
  }
  if ("issues" in c) return { valid: false, issues: c.issues, revision: working.revision };
  return { valid: true, diff: diffConfigs(working.config, c.config), changes: structuralDiff(working.config, c.config), revision: working.revision };
}

/** POST /config/validate: a dry run of a replace, answering the diff against the latest published version. */
export async function dryRunDocument(db: Db, input: TDocumentInput): Promise<{ valid: true; diff: TConfigDiff; against: number | null }> {
  const working = await readWorkingConfig(db);
  const c = await candidateOf(input, working.config);
  if ("issues" in c) throw refuse(c.issues);
  const latest = await getLatestVersion(db);
  return { valid: true, diff: diffConfigs(latest?.config ?? emptyConfig(), c.config), against: latest?.version ?? null };
}

/**
 * Replaces the working config with the document (PUT /config, the import page's apply).
 * `revision` (If-Match, or the revision the import was checked at) must still be current;
 * -1 never is (an If-Match that is not one of our ETags). A stale one is STALE_REVISION
 * with every change since.
 */
export async function replaceWithDocument(db: Db, who: TWho, input: TDocumentInput & { revision?: number | undefined }): Promise<{ revision: number; hash: string }> {
  const working = await readWorkingConfig(db);
  const c = await candidateOf(input, working.config);
  if ("issues" in c) throw refuse(c.issues);
  const saved = await replaceWorkingConfig(db, c.config, { actor: who.actor, ip: who.ip, ...(input.revision !== undefined ? { expectedRevision: input.revision } : {}) });
  if (saved.ok) return { revision: saved.revision, hash: hashConfig(saved.config) };
  if ("conflict" in saved) {
    const current = saved.conflict.currentRevision;
    const expected = input.revision ?? current;
    const why = expected < 0 ? "the expected revision is not one of this console's ETags" : `the working config changed since revision ${expected}`;
    return refuseStaleReplace(db, expected, current, `${why}: the current revision is ${current}; read it again, merge, retry`);
  }
  throw refuse(await withLines(saved.issues, input.text, input.format ?? "yaml"));
}
