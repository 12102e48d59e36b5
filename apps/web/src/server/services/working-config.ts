import type { TConfig } from "@switchyard/config-model";
import { getWorkingConfig, replaceWorkingConfig, type Db } from "@switchyard/db";
import { scopeIssues, type TIssueScope } from "../../lib/issues.ts";
import { AppError, validationError } from "./app-error.ts";

/** How many times an edit is re-applied when another writer changed the config meanwhile. */
const MAX_ATTEMPTS = 3;

export type TEdit<T> = (draft: TConfig) => {
  /** Where the edited resource sits in the draft, e.g. `clusters[2]`; issues under it get a form field. */
  scopes: TIssueScope[];
  result: T;
};

/**
 * Every console write: read the working config, modify a mutable copy, and hand the whole
 * document to replaceWorkingConfig, which validates it with config-model. So a route edit
 * is checked against every other resource (unknown cluster, duplicate name, bad regex...).
 * A concurrent write is detected by revision; the edit is then re-applied to the fresh
 * config, which is correct because edits are expressed against names, not indexes.
 */
export async function editWorkingConfig<T>(db: Db, actor: string, edit: TEdit<T>): Promise<{ config: TConfig; result: T }> {
  for (let attempt = 1; ; attempt++) {
    const current = await getWorkingConfig(db);
    const draft = structuredClone(current.config) as TConfig;
    const { scopes, result } = edit(draft);
    const saved = await replaceWorkingConfig(db, draft, { actor, expectedRevision: current.revision });
    if (saved.ok) return { config: saved.config, result };
    if ("issues" in saved) throw validationError(scopeIssues(saved.issues, scopes));
    if (attempt >= MAX_ATTEMPTS) {
      throw new AppError("CONFLICT", `the working config kept changing (revision ${saved.conflict.currentRevision}); try again`);
    }
  }
}
