import type { TConfig } from "@switchyard/config-model";
import { changesSince, getWorkingConfig, replaceWorkingConfig, type Db } from "@switchyard/db";
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
export async function editWorkingConfig<T>(
  db: Db,
  actor: string,
  edit: TEdit<T>,
  stale?: { baseRevision?: number | undefined; resource: string },
): Promise<{ config: TConfig; result: T }> {
  for (let attempt = 1; ; attempt++) {
    const current = await getWorkingConfig(db);
    if (stale?.baseRevision !== undefined && current.revision !== stale.baseRevision) await refuseStaleEdit(db, stale.baseRevision, stale.resource);
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

/**
 * Optimistic concurrency for forms: the form sends the revision it was loaded at. When
 * someone else changed the same resource since (the audit rows of every write name the
 * resources and fields they changed), the edit is refused with 409 and what changed,
 * instead of overwriting it. Changes to other resources do not block: edits are
 * re-applied by name onto the fresh config.
 */
async function refuseStaleEdit(db: Db, baseRevision: number, resource: string): Promise<void> {
  const changes = await changesSince(db, baseRevision);
  const touching = changes.filter((c) => c.diff.some((line) => line.slice(2) === resource || line.slice(2).startsWith(`${resource}:`)));
  if (!touching.length) return;
  const lines = touching.map((c) => `revision ${c.revision} by ${c.actor} at ${c.at.toISOString()}: ${c.diff.filter((l) => l.slice(2).startsWith(resource)).join("; ") || "whole config replaced"}`);
  throw new AppError("CONFLICT", `${resource} was changed by someone else since you opened it (reload to see it, then redo your edit):\n${lines.join("\n")}`);
}
