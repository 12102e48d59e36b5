import { changeTarget, formatChanges, validateEdit, type TConfig, type TConfigChange } from "@switchyard/config-model";
import { findUnusableTlsMaterial } from "@switchyard/config-model/tls";
import { changesSince, commitWorkingConfig, getWorkingConfig, type Db, type TRevisionChange, type TWorkingConfig } from "@switchyard/db";
import { scopeIssues, type TIssueScope } from "../../lib/issues.ts";
import { AppError, validationError } from "./app-error.ts";
import type { TWho } from "./context.ts";

/** How many times an edit is re-applied when another writer changed the config meanwhile. */
const MAX_ATTEMPTS = 3;

/** The working config and its revision (cached by revision in @switchyard/db: one query while nobody writes). */
export function readWorkingConfig(db: Db): Promise<TWorkingConfig> {
  return getWorkingConfig(db);
}

export type TEdit<T> = (current: TConfig) => {
  /** The edited config: a copy-on-write of `current` (unchanged resources are the same objects). */
  next: TConfig;
  /** Where the edited resource sits in `next`, e.g. `clusters[2]`; issues under it get a form field. */
  scopes: TIssueScope[];
  result: T;
};

/**
 * Every console write: read the working config, compute the edited copy, validate what
 * changed (config-model's validateEdit: the changed resources through their schemas, the
 * whole config's consistency: unknown cluster, duplicate name, bad regex...) and commit
 * it; only the rows that differ are written, with a structured change set. A concurrent
 * write is detected by revision and the edit re-applied to the fresh config, which is
 * correct because edits are expressed against names, not indexes.
 *
 * `stale`: optimistic concurrency for forms, which send the revision they were loaded at.
 * When someone else changed the same resource since, the edit is refused with
 * STALE_REVISION naming each change instead of overwriting it; other resources' changes
 * do not block (the edit is re-applied by name).
 */
export async function editWorkingConfig<T>(
  db: Db,
  who: TWho,
  edit: TEdit<T>,
  stale?: { baseRevision?: number | undefined; target: string },
): Promise<{ config: TConfig; revision: number; result: T }> {
  for (let attempt = 1; ; attempt++) {
    const base = await getWorkingConfig(db);
    if (stale?.baseRevision !== undefined && base.revision !== stale.baseRevision) await refuseStaleEdit(db, stale.baseRevision, base.revision, stale.target);
    const { next, scopes, result } = edit(base.config);
    const checked = validateEdit(base.config, next);
    if (!checked.ok) throw validationError(scopeIssues(checked.issues, scopes));
    // The proxy loads the PEM material in use before it builds a version: so does every write.
    const unusable = findUnusableTlsMaterial(checked.config);
    if (unusable.length) throw validationError(scopeIssues(unusable, scopes));
    const saved = await commitWorkingConfig(db, base, checked.config, { actor: who.actor, ip: who.ip, source: "edit" });
    if (saved.ok) return { config: saved.config, revision: saved.revision, result };
    if (attempt >= MAX_ATTEMPTS) throw new AppError("CONFLICT", `the working config kept changing (revision ${saved.conflict.currentRevision}); try again`);
  }
}

/** Does `change` touch `target`? A route config owns its virtual hosts' routes too. */
function touches(change: TConfigChange, target: string): boolean {
  const name = changeTarget(change);
  if (name === target) return true;
  return target.startsWith("routeConfigs/") && change.kind === "routes" && `routeConfigs/${change.scope}`.startsWith(`${target}/`);
}

async function refuseStaleEdit(db: Db, baseRevision: number, currentRevision: number, target: string): Promise<void> {
  const changes = (await changesSince(db, baseRevision)).map((c) => ({ ...c, changes: c.changes.filter((x) => x.op !== "move" && touches(x, target)) })).filter((c) => c.changes.length);
  if (!changes.length) return;
  const lines = changes.map((c) => `revision ${c.revision} by ${c.actor} at ${c.at.toISOString()}: ${formatChanges(c.changes).join("; ")}`);
  throw staleRevision(`${target} was changed by someone else since you opened it (reload to see it, then redo your edit):\n${lines.join("\n")}`, currentRevision, changes);
}

/** STALE_REVISION with what changed since: `changes: [{revision, actor, at, source, diff, resources}]`. */
export function staleRevision(message: string, currentRevision: number, changes: TRevisionChange[]): AppError {
  return new AppError("STALE_REVISION", message, [], {
    currentRevision,
    changes: changes.map((c) => ({ revision: c.revision, actor: c.actor, at: c.at.toISOString(), source: c.source, diff: formatChanges(c.changes), resources: c.changes })),
  });
}

/** The 409 of a whole-config write whose expected revision is stale (If-Match, an import checked earlier). */
export async function refuseStaleReplace(db: Db, expectedRevision: number, currentRevision: number, message: string): Promise<never> {
  const changes = expectedRevision >= 0 ? await changesSince(db, expectedRevision) : [];
  throw staleRevision(message, currentRevision, changes);
}

// --- copy-on-write helpers for edits ---------------------------------------------------

type TList<K extends keyof TConfig> = TConfig[K];

/** `config` with `kind`'s list replaced (every other kind, and every other item, shared). */
export function withList<K extends keyof TConfig>(config: TConfig, kind: K, items: TList<K>): TConfig {
  return { ...config, [kind]: items };
}

/** `list` with the item at `index` replaced, or removed when `value` is undefined. */
export function replaceAt<T>(list: readonly T[], index: number, value?: T): T[] {
  return value === undefined ? [...list.slice(0, index), ...list.slice(index + 1)] : [...list.slice(0, index), value, ...list.slice(index + 1)];
}
