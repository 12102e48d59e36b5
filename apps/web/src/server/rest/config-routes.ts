import {
  configJsonSchema,
  diffConfigs,
  emptyConfig,
  hashConfig,
  lineOfPath,
  redactConfig,
  validateConfig,
  type TConfig,
  type TConfigIssue,
} from "@switchyard/config-model";
import { changesSince, getLatestVersion, getWorkingConfig, replaceWorkingConfig } from "@switchyard/db";
import { readDocument, type TParsedBody } from "./body.ts";
import { RestError, configSchemaUrl, invalidConfig, sendJson, sendYaml, wantsYaml } from "./http.ts";
import type { TRestContext } from "./router.ts";
import { restoreRedactedKeys } from "./secrets.ts";

/**
 * Every mutation through the REST API is made (and audited, inside the same transaction,
 * by @switchyard/db) under this actor.
 */
export const API_ACTOR = "api-token";

/** GET /schema/config-v1.json (no token): the JSON Schema of a config document, for editors and CI linters. */
export async function configSchemaRoute({ res }: TRestContext): Promise<void> {
  sendJson(res, 200, configJsonSchema(), { "cache-control": "public, max-age=300" });
}

/** GET /config: the working config, private keys redacted; ETag is its revision. */
export async function getConfig({ req, res, deps }: TRestContext): Promise<void> {
  const { config, revision } = await getWorkingConfig(deps.db);
  const headers = { etag: etagOf(revision) };
  if (wantsYaml(req)) sendYaml(res, 200, redactConfig(config), headers, { schemaUrl: configSchemaUrl(req) });
  else sendJson(res, 200, redactConfig(config), headers);
}

/** PUT /config: replaces the working config as a whole; nothing is stored unless it is valid. */
export async function putConfig({ req, res, deps, principal }: TRestContext): Promise<void> {
  const expectedRevision = parseIfMatch(req.headers["if-match"]);
  const body = await readDocument(req);
  const current = await getWorkingConfig(deps.db);
  const config = checkCandidate(body, current.config);
  const result = await replaceWorkingConfig(deps.db, config, {
    actor: principal.actor,
    ip: principal.ip,
    ...(expectedRevision !== undefined ? { expectedRevision } : {}),
  });
  if (!result.ok) {
    if ("conflict" in result) {
      const currentRevision = result.conflict.currentRevision;
      // What changed since the caller's revision (who, when, which fields): merge, then retry.
      const changes = expectedRevision !== undefined && expectedRevision >= 0 ? await changesSince(deps.db, expectedRevision) : [];
      throw new RestError(409, "SWY_REST_REVISION_CONFLICT", `the working config changed: If-Match ${req.headers["if-match"]} is stale, the current revision is ${currentRevision}`, {
        headers: { etag: etagOf(currentRevision) },
        extra: { currentRevision, changes: changes.map((c) => ({ ...c, at: c.at.toISOString() })) },
      });
    }
    throw invalidConfig(withLines(result.issues, body));
  }
  const hash = hashConfig(result.config);
  deps.log("rest_config_replaced", { revision: result.revision, hash });
  sendJson(res, 200, { revision: result.revision, hash }, { etag: etagOf(result.revision) });
}

/** POST /config/validate: a dry run of PUT, answering the diff against the latest version. */
export async function validateConfigRoute({ req, res, deps }: TRestContext): Promise<void> {
  const body = await readDocument(req);
  const current = await getWorkingConfig(deps.db);
  const candidate = checkCandidate(body, current.config);
  const latest = await getLatestVersion(deps.db);
  let base: TConfig = emptyConfig();
  if (latest) {
    const stored = validateConfig(latest.config);
    if (stored.ok) base = stored.config;
  }
  sendJson(res, 200, { valid: true, diff: diffConfigs(base, candidate), against: latest?.version ?? null });
}

/**
 * Validates a PUT/validate body: keeps stored keys for "[redacted]" ones, then the full
 * config-model check. Throws 422 with every issue (and its line for YAML bodies).
 */
function checkCandidate(body: TParsedBody, stored: TConfig | null): TConfig {
  if (body.value === undefined) throw invalidConfig([{ path: "", message: "the body is empty: send a config document (JSON or YAML)" }]);
  const restored = restoreRedactedKeys(body.value, stored);
  const result = validateConfig(restored.value);
  const issues: TConfigIssue[] = [...restored.issues];
  if (!result.ok) {
    // The redaction issue already explains that field; the PEM complaint about it would only confuse.
    const explained = new Set(restored.issues.map((i) => i.path));
    issues.push(...result.issues.filter((i) => !explained.has(i.path)));
  }
  if (issues.length || !result.ok) throw invalidConfig(withLines(issues, body));
  return result.config;
}

function withLines(issues: TConfigIssue[], body: TParsedBody): TConfigIssue[] {
  if (body.format !== "yaml") return issues.map(({ path, message }) => ({ path, message }));
  return issues.map(({ path, message }) => {
    const line = lineOfPath(body.text, path);
    return line === undefined ? { path, message } : { path, message, line };
  });
}

export function etagOf(revision: number): string {
  return `"${revision}"`;
}

/**
 * If-Match -> expected revision: undefined when absent or `*` (no check). Any value that
 * is not one of our ETags can never match, so it becomes -1 and gets the 409 a stale one gets.
 */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === "" || value === "*") return undefined;
  const m = /^"(\d{1,15})"$/.exec(value.split(",")[0]!.trim());
  return m ? Number(m[1]) : -1;
}
