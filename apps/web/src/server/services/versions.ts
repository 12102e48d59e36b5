import { ConfigValidationError, diffConfigs, emptyConfig, formatDiff, redactConfig, type TConfigDiff } from "@switchyard/config-model";
import {
  diffVersions,
  getLatestVersion,
  getVersion,
  listVersions as listStoredVersions,
  publishVersion as publishStoredVersion,
  rollbackToVersion,
  RolloutError,
  VersionNotFoundError,
  DbError,
  StoredConfigError,
  type TVersion,
} from "@switchyard/db";
import { scopeIssues } from "../../lib/issues.ts";
import { AppError, validationError } from "./app-error.ts";
import type { Db, TWho } from "./context.ts";
import { DEFAULT_BAKE_MS } from "../rollout/guard.ts";
import { refuseUnenforceable } from "./enforceable.ts";
import { readWorkingConfig } from "./working-config.ts";

/** A version without its content: number, hash, author, message, parent, time. */
export type TVersionMeta = Pick<TVersion, "version" | "hash" | "author" | "message" | "parentVersion" | "createdAt">;

/** Newest first, without content. */
export async function listVersions(db: Db, limit = 100): Promise<TVersionMeta[]> {
  return listStoredVersions(db, { limit });
}

/** One version with its config (private keys redacted). */
export async function getVersionDetail(db: Db, version: number): Promise<TVersionMeta & { config: TVersion["config"] }> {
  const v = await getVersion(db, version);
  if (!v) throw versionNotFound(version);
  return { version: v.version, hash: v.hash, author: v.author, message: v.message, parentVersion: v.parentVersion, createdAt: v.createdAt, config: redactConfig(v.config) };
}

/** What going from version a to version b adds, removes and changes (and one line per change). */
export async function diffBetween(db: Db, a: number, b: number): Promise<{ from: number; to: number; diff: TConfigDiff; summary: string }> {
  const diff = await diffVersions(db, a, b);
  if (!diff) throw versionNotFound((await getVersion(db, a)) ? b : a);
  return { from: a, to: b, diff, summary: formatDiff(diff) };
}

function versionNotFound(version: number): AppError {
  return new AppError("NOT_FOUND", `version ${version} does not exist`);
}

/**
 * Publishes the working config as version n+1 (unchanged = the live version already has
 * that content), to every node, or with `group` to that group only (a canary rollout), or
 * with `steps` to that group a percentage of its nodes at a time (a stepped rollout).
 */
export async function publish(
  db: Db,
  who: TWho,
  input: { message: string; group?: string; guard?: unknown; steps?: number[]; bakeMs?: number },
): Promise<{ version: number; hash: string; unchanged: boolean; rolloutId: number | null }> {
  try {
    // The content is read again by the publish itself; this read only asks the fleet first.
    await refuseUnenforceable(db, (await readWorkingConfig(db)).config, input.group);
    return await publishStoredVersion(db, { ...who, message: input.message, ...(input.group ? { canary: { group: input.group, guard: input.guard, ...(input.steps ? { steps: input.steps, bakeMs: input.bakeMs ?? DEFAULT_BAKE_MS } : {}) } } : {}) });
  } catch (caught) {
    // An invalid stored working config: its issues, as the publish itself reports them.
    const err = caught instanceof StoredConfigError && caught.cause instanceof ConfigValidationError ? caught.cause : caught;
    if (err instanceof RolloutError || (err instanceof DbError && err.status === 409)) throw new AppError("CONFLICT", err.message);
    // The working config is validated on every write, so this only fires when the rules
    // got stricter since; every issue is reported with its path (no form field owns it).
    if (err instanceof ConfigValidationError) throw validationError(scopeIssues(err.issues, []));
    throw err;
  }
}

export async function rollback(db: Db, who: TWho, version: number): Promise<{ version: number; hash: string }> {
  try {
    // A rollback publishes k's content to every node: the same fleet check as a publish.
    const target = await getVersion(db, version);
    if (target) await refuseUnenforceable(db, target.config, undefined);
    return await rollbackToVersion(db, version, who);
  } catch (err) {
    if (err instanceof VersionNotFoundError) throw versionNotFound(version);
    // An old snapshot the current model refuses: report why it cannot be served again.
    if (err instanceof ConfigValidationError) throw validationError(scopeIssues(err.issues, []));
    throw err;
  }
}

export type TPendingDiff = {
  /** The live (latest published) version, null before the first publish. */
  liveVersion: number | null;
  liveHash: string | null;
  diff: TConfigDiff;
};

/** What a publish would change: the live version against the working config. */
export async function pendingDiff(db: Db): Promise<TPendingDiff> {
  const [live, working] = await Promise.all([getLatestVersion(db), readWorkingConfig(db)]);
  return {
    liveVersion: live?.version ?? null,
    liveHash: live?.hash ?? null,
    diff: diffConfigs(live?.config ?? emptyConfig(), working.config),
  };
}
