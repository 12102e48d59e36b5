import { ConfigValidationError, diffConfigs, emptyConfig, type TConfigDiff } from "@switchyard/config-model";
import {
  getLatestVersion,
  getWorkingConfig,
  listVersions as listStoredVersions,
  publishVersion as publishStoredVersion,
  rollbackToVersion,
  RolloutError,
  VersionNotFoundError,
  DbError,
  type Db,
} from "@switchyard/db";
import { scopeIssues } from "../../lib/issues.ts";
import { AppError, validationError } from "./app-error.ts";

export async function listVersions(db: Db, limit = 100) {
  return listStoredVersions(db, { limit });
}

/**
 * Publishes the working config as version n+1 (unchanged = the live version already has
 * that content), to every node, or with `group` to that group only (a canary rollout).
 */
export async function publish(
  db: Db,
  who: { actor: string; ip: string | null },
  input: { message: string; group?: string; guard?: unknown },
): Promise<{ version: number; hash: string; unchanged: boolean; rolloutId: number | null }> {
  try {
    return await publishStoredVersion(db, { ...who, message: input.message, ...(input.group ? { canary: { group: input.group, guard: input.guard } } : {}) });
  } catch (err) {
    if (err instanceof RolloutError || (err instanceof DbError && err.status === 409)) throw new AppError("CONFLICT", err.message);
    // The working config is validated on every write, so this only fires when the rules
    // got stricter since; every issue is reported with its path (no form field owns it).
    if (err instanceof ConfigValidationError) throw validationError(scopeIssues(err.issues, []));
    throw err;
  }
}

export async function rollback(db: Db, who: { actor: string; ip: string | null }, version: number): Promise<{ version: number; hash: string }> {
  try {
    return await rollbackToVersion(db, version, who);
  } catch (err) {
    if (err instanceof VersionNotFoundError) throw new AppError("NOT_FOUND", err.message);
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
  const [live, working] = await Promise.all([getLatestVersion(db), getWorkingConfig(db)]);
  return {
    liveVersion: live?.version ?? null,
    liveHash: live?.hash ?? null,
    diff: diffConfigs(live?.config ?? emptyConfig(), working.config),
  };
}
