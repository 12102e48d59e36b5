import { ConfigValidationError, diffConfigs, emptyConfig, type TConfigDiff } from "@switchyard/config-model";
import {
  getLatestVersion,
  getWorkingConfig,
  listVersions as listStoredVersions,
  publishVersion as publishStoredVersion,
  rollbackToVersion,
  VersionNotFoundError,
  type Db,
} from "@switchyard/db";
import { scopeIssues } from "../../lib/issues.ts";
import { AppError, validationError } from "./app-error.ts";

export async function listVersions(db: Db, limit = 100) {
  return listStoredVersions(db, { limit });
}

/** Publishes the working config as version n+1 (unchanged = the live version already has that content). */
export async function publish(db: Db, actor: string, message: string): Promise<{ version: number; hash: string; unchanged: boolean }> {
  try {
    return await publishStoredVersion(db, { actor, message });
  } catch (err) {
    // The working config is validated on every write, so this only fires when the rules
    // got stricter since; every issue is reported with its path (no form field owns it).
    if (err instanceof ConfigValidationError) throw validationError(scopeIssues(err.issues, []));
    throw err;
  }
}

export async function rollback(db: Db, actor: string, version: number): Promise<{ version: number; hash: string }> {
  try {
    return await rollbackToVersion(db, version, { actor });
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
