import { z } from "zod";
import { ConfigValidationError, formatDiff, redactConfig, type TConfig } from "@switchyard/config-model";
import { diffVersions, getVersion, listVersions, publishVersion, rollbackToVersion } from "@switchyard/db";
import { readDocument } from "./body.ts";
import { RestError, configSchemaUrl, invalidConfig, sendJson, sendYaml, wantsYaml } from "./http.ts";
import type { TRestContext } from "./router.ts";
import { ZGuardThresholds } from "../rollout/guard.ts";

const ZVersionNumber = z
  .string()
  .regex(/^[1-9]\d{0,9}$/, "must be a version number (a positive integer)")
  .transform(Number);

const ZListQuery = z.object({
  limit: z.coerce.number().int("must be an integer").min(1, "must be >= 1").max(1000, "must be <= 1000").optional(),
});

const ZGetQuery = z.object({ format: z.enum(["json", "yaml"]).optional() });

/** POST /versions body: `group` publishes to that node group only (a canary), `guard` adds the SLO guard. */
export const ZPublishBody = z
  .object({
    message: z
      .string({ error: (i) => (i.input === undefined ? "is required" : "must be a string") })
      .trim()
      .min(1, "must not be empty")
      .max(1000, "must be at most 1000 characters"),
    group: z.string().trim().min(1, "must not be empty").max(100).regex(/^[^*]+$/, "must be a group name").optional(),
    guard: ZGuardThresholds.optional(),
  })
  .refine((b) => b.guard === undefined || b.group !== undefined, { path: ["guard"], message: "a guard needs a canary group" });

/** GET /versions: newest first, metadata only. */
export async function listVersionsRoute({ res, query, deps }: TRestContext): Promise<void> {
  const q = parseQuery(ZListQuery, query);
  const versions = await listVersions(deps.db, q.limit !== undefined ? { limit: q.limit } : {});
  sendJson(res, 200, versions.map(versionMeta));
}

/** POST /versions {message}: publishes the working config as the next version. */
export async function publishRoute({ req, res, deps, principal }: TRestContext): Promise<void> {
  const body = await readDocument(req);
  const parsed = ZPublishBody.safeParse(isRecord(body.value) ? body.value : {});
  if (!parsed.success) {
    throw new RestError(422, "SWY_REST_INVALID_BODY", "invalid request body", {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join(".") || "message", message: i.message })),
    });
  }
  let published: { version: number; hash: string; unchanged: boolean; rolloutId: number | null };
  try {
    const { message, group, guard } = parsed.data;
    published = await publishVersion(deps.db, { actor: principal.actor, ip: principal.ip, message, ...(group ? { canary: { group, guard } } : {}) });
  } catch (err) {
    if (err instanceof ConfigValidationError) throw invalidConfig(err.issues);
    throw err;
  }
  const { version, hash, unchanged, rolloutId } = published;
  deps.log("rest_version_published", { version, hash, unchanged, rolloutId });
  // Every publish is a new version; `unchanged` tells the caller its content equals the previous one.
  sendJson(res, 201, { version, hash, unchanged, ...(rolloutId !== null ? { rolloutId } : {}) });
}

/** GET /versions/:v: metadata and the snapshot (keys redacted); YAML exports the config document alone. */
export async function getVersionRoute({ req, res, params, query, deps }: TRestContext): Promise<void> {
  const v = parseVersionParam(params, "v");
  const q = parseQuery(ZGetQuery, query);
  const found = await getVersion(deps.db, v);
  if (!found) throw notFound(v);
  const config = redactStored(found.config);
  const headers = { etag: `"${found.hash}"`, "x-switchyard-version": String(found.version) };
  if (q.format === "yaml" || (q.format === undefined && wantsYaml(req))) {
    sendYaml(res, 200, config, { ...headers, "content-disposition": `inline; filename="switchyard-v${found.version}.yaml"` }, { schemaUrl: configSchemaUrl(req) });
    return;
  }
  sendJson(res, 200, { ...versionMeta(found), config }, headers);
}

/** GET /versions/:a/diff/:b: what going from a to b adds, removes and changes. */
export async function diffVersionsRoute({ res, params, deps }: TRestContext): Promise<void> {
  const a = parseVersionParam(params, "a");
  const b = parseVersionParam(params, "b");
  const diff = await diffVersions(deps.db, a, b);
  if (!diff) {
    const [fa, fb] = await Promise.all([getVersion(deps.db, a), getVersion(deps.db, b)]);
    throw notFound(!fa ? a : !fb ? b : a);
  }
  sendJson(res, 200, { from: a, to: b, diff, summary: formatDiff(diff) });
}

/** POST /versions/:v/rollback: publishes v's content as a new version and resets the working config. */
export async function rollbackRoute({ res, params, deps, principal }: TRestContext): Promise<void> {
  const v = parseVersionParam(params, "v");
  if (!(await getVersion(deps.db, v))) throw notFound(v);
  const { version, hash } = await rollbackToVersion(deps.db, v, { actor: principal.actor, ip: principal.ip });
  deps.log("rest_version_rolled_back", { to: v, version, hash });
  sendJson(res, 201, { version, hash });
}

type TVersionMetaSource = {
  version: number;
  hash: string;
  author?: string | null;
  message?: string | null;
  parentVersion?: number | null;
  createdAt?: Date | string;
};

function versionMeta(v: TVersionMetaSource) {
  return {
    version: v.version,
    hash: v.hash,
    author: v.author ?? null,
    message: v.message ?? null,
    parentVersion: v.parentVersion ?? null,
    createdAt: v.createdAt instanceof Date ? v.createdAt.toISOString() : (v.createdAt ?? null),
  };
}

/** Stored snapshots were validated at publish, so they carry `secrets`; redact what is there. */
function redactStored(config: unknown): unknown {
  if (!isRecord(config) || !Array.isArray(config.secrets)) return config;
  return redactConfig(config as TConfig);
}

function parseVersionParam(params: Record<string, string>, name: string): number {
  const parsed = ZVersionNumber.safeParse(params[name] ?? "");
  if (!parsed.success) {
    throw new RestError(400, "SWY_REST_INVALID_PARAM", `invalid version "${params[name]}"`, {
      issues: [{ path: name, message: parsed.error.issues[0]?.message ?? "invalid" }],
    });
  }
  return parsed.data;
}

function parseQuery<T extends z.ZodType>(schema: T, query: URLSearchParams): z.infer<T> {
  const parsed = schema.safeParse(Object.fromEntries(query));
  if (!parsed.success) {
    throw new RestError(400, "SWY_REST_INVALID_QUERY", "invalid query string", {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  return parsed.data;
}

function notFound(v: number): RestError {
  return new RestError(404, "SWY_REST_VERSION_NOT_FOUND", `version ${v} does not exist`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
