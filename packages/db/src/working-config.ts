import { ConfigValidationError, deepFreeze, hashConfig, validateConfig, type TConfig, type TConfigChange, type TConfigIssue } from "@switchyard/config-model";
import { AUDIT_ACTIONS } from "./audit.ts";
import { lockConfig, transaction, type Db, type Tx } from "./client.ts";
import { assembleConfig, assignPositions, planWrite, type TWritePlan } from "./config-rows.ts";
import { StoredConfigError } from "./errors.ts";
import { notifyChange } from "./notify.ts";
import { openPrivateKey, sealPrivateKey, type TSecretBox } from "./secret-box.ts";

/**
 * The working config is data: one ConfigResource row per resource (routes included),
 * WorkingConfigMeta.revision, and a ConfigChange row per revision saying what changed.
 *
 * Reads are cached per Db handle by revision (a revision's content never changes), so a
 * read costs one query while nobody writes; several console replicas stay correct because
 * each checks the revision. A write plans the rows that differ (config-rows.ts) and writes
 * only those, under the config lock, checking the revision it was planned against.
 */

export type TWorkingConfig = { config: TConfig; revision: number };
export type TCommitResult =
  | { ok: true; config: TConfig; revision: number; changes: TConfigChange[] }
  | { ok: false; conflict: { currentRevision: number } };
export type TReplaceResult = TCommitResult | { ok: false; issues: TConfigIssue[] };
/** How a revision came about. */
export type TChangeSource = "edit" | "replace" | "rollback" | "seed";
export type TWriteOptions = { actor: string; ip?: string | null; source: TChangeSource; details?: Record<string, unknown> };

const cache = new WeakMap<Db, TWorkingConfig>();

/** Inside a commit: the working config is no longer at the revision the write was planned against. */
class RevisionMoved extends Error {
  constructor(readonly current: number) {
    super(`the working config moved on to revision ${current}`);
  }
}

function remember(db: Db, wc: TWorkingConfig): TWorkingConfig {
  const seen = cache.get(db);
  if (!seen || seen.revision <= wc.revision) cache.set(db, wc);
  return wc;
}

/**
 * The working config (validated, defaults filled, deep-frozen) and its revision, the
 * ETag. One query when the cached revision is current, else the rows in one
 * repeatable-read transaction.
 */
export async function getWorkingConfig(db: Db): Promise<TWorkingConfig> {
  const revision = await readRevision(db.prisma);
  const hit = cache.get(db);
  if (hit && hit.revision === revision) return hit;
  return remember(db, await transaction(db, (tx) => loadWorkingConfig(tx, db.secrets), { isolationLevel: "RepeatableRead" }));
}

/** The current revision of the working config (0 before the first write). */
export async function getWorkingConfigRevision(db: Db): Promise<number> {
  return readRevision(db.prisma);
}

/**
 * Writes `next` (validated by the caller: an edit checks the resources it changed and the
 * whole config's consistency) over `base`, the working config it was computed from. Only
 * the rows that differ are written. Refused with a conflict when the working config is
 * no longer at `base.revision`: the caller re-reads and re-applies its edit.
 */
export async function commitWorkingConfig(db: Db, base: TWorkingConfig, next: TConfig, opts: TWriteOptions): Promise<TCommitResult> {
  const config = deepFreeze(next);
  const plan = planWrite(base.config, config);
  try {
    const written = await transaction(db, async (tx) => {
      await lockConfig(tx);
      const done = await writePlan(tx, plan, db.secrets, opts, base.revision);
      // Throwing rolls back whatever the revision bump did.
      if (!done) throw new RevisionMoved(await readRevision(tx));
      return done;
    });
    remember(db, { config, revision: written.revision });
    return { ok: true, config, ...written };
  } catch (err) {
    if (err instanceof RevisionMoved) return { ok: false, conflict: { currentRevision: err.current } };
    throw err;
  }
}

/**
 * Replaces the whole working config (PUT /config, imports). Validation comes first
 * (nothing is stored when the input is invalid). With `expectedRevision` (If-Match) a
 * different current revision is a conflict; without it a concurrent writer only makes it
 * plan again against the fresh config.
 */
export async function replaceWorkingConfig(
  db: Db,
  input: unknown,
  opts: { actor: string; expectedRevision?: number; ip?: string | null },
): Promise<TReplaceResult> {
  const validated = validateConfig(input);
  if (!validated.ok) return { ok: false, issues: validated.issues };
  for (let attempt = 1; ; attempt++) {
    // Not validated: a replace is also the way out of stored rows that no longer validate.
    const base = await transaction(db, (tx) => readWorkingConfigInTx(tx, db, { validate: false }), { isolationLevel: "RepeatableRead" });
    if (opts.expectedRevision !== undefined && opts.expectedRevision !== base.revision) {
      return { ok: false, conflict: { currentRevision: base.revision } };
    }
    const result = await commitWorkingConfig(db, base, validated.config, { actor: opts.actor, ip: opts.ip ?? null, source: "replace", details: { hash: hashConfig(validated.config) } });
    if (result.ok || opts.expectedRevision !== undefined || attempt >= 5) return result;
  }
}

export type TRevisionChange = { revision: number; actor: string; ip: string | null; at: Date; source: string; changes: TConfigChange[] };

/**
 * What changed the working config after `revision`, oldest first, from the change sets
 * every write leaves (who, when, which resources and fields): stale-edit checks and the
 * body of a 409 read these.
 */
export async function changesSince(db: Db, revision: number, limit = 50): Promise<TRevisionChange[]> {
  const rows = await db.prisma.configChange.findMany({ where: { revision: { gt: revision } }, orderBy: { revision: "asc" }, take: limit });
  return rows.map((r) => ({ revision: r.revision, actor: r.actor, ip: r.ip, at: r.at, source: r.source, changes: r.changes as TConfigChange[] }));
}

// --- inside transactions holding the config lock ---------------------------------------

export async function readRevision(tx: Tx | Db["prisma"]): Promise<number> {
  const meta = await tx.workingConfigMeta.findUnique({ where: { id: 1 } });
  return meta?.revision ?? 0;
}

/**
 * The working config inside a transaction that holds the config lock (publish,
 * rollback): the cached one when its revision is current. `validate: false` returns the
 * stored document as it is (a rollback replaces it even when it no longer validates).
 */
export async function readWorkingConfigInTx(tx: Tx, db: Db, opts: { validate?: boolean } = {}): Promise<TWorkingConfig> {
  const revision = await readRevision(tx);
  const hit = cache.get(db);
  if (hit && hit.revision === revision) return hit;
  if (opts.validate === false) return { config: (await loadRows(tx, db.secrets)) as unknown as TConfig, revision };
  return remember(db, await loadWorkingConfig(tx, db.secrets));
}

/** Writes `after` over `before` (what is stored now) inside the caller's locked transaction. */
export async function writeWorkingConfig(tx: Tx, db: Db, before: TConfig, after: TConfig, opts: TWriteOptions): Promise<{ revision: number; changes: TConfigChange[] }> {
  const config = deepFreeze(after);
  const written = (await writePlan(tx, planWrite(before, config), db.secrets, opts))!;
  remember(db, { config, revision: written.revision });
  return written;
}

/**
 * Bumps the revision (only from `expectedRevision` when given: null when it moved on),
 * writes the planned rows, the change set and the audit row. Few round trips on purpose:
 * an edit is one revision bump, one statement per kind of row write, one for both logs.
 */
async function writePlan(tx: Tx, plan: TWritePlan, box: TSecretBox | null, opts: TWriteOptions, expectedRevision?: number): Promise<{ revision: number; changes: TConfigChange[] } | null> {
  const bumped = await tx.$queryRaw<{ revision: number }[]>`
    INSERT INTO "WorkingConfigMeta" ("id", "revision", "updatedBy", "updatedAt") VALUES (1, 1, ${opts.actor}, now())
    ON CONFLICT ("id") DO UPDATE SET "revision" = "WorkingConfigMeta"."revision" + 1, "updatedBy" = EXCLUDED."updatedBy", "updatedAt" = now()
    WHERE ${expectedRevision ?? null}::int IS NULL OR "WorkingConfigMeta"."revision" = ${expectedRevision ?? null}::int
    RETURNING "revision"`;
  // The first write of a fresh database inserts revision 1: only right when 0 was expected.
  const revision = bumped[0]?.revision;
  if (revision === undefined || (expectedRevision !== undefined && revision !== expectedRevision + 1)) return null;
  const changes = [...plan.changes];
  if (plan.reorder.length) {
    const stored = await tx.$queryRaw<{ kind: string; scope: string; name: string; position: number }[]>`
      SELECT r."kind", r."scope", r."name", r."position" FROM "ConfigResource" r
      JOIN jsonb_to_recordset(${JSON.stringify(plan.reorder.map(({ kind, scope }) => ({ kind, scope })))}::jsonb) AS g("kind" text, "scope" text)
        ON g."kind" = r."kind" AND g."scope" = r."scope"`;
    const upserting = new Map(plan.upserts.map((u) => [`${u.kind}\u0000${u.scope}\u0000${u.name}`, u]));
    for (const group of plan.reorder) {
      const positions = new Map(stored.filter((s) => s.kind === group.kind && s.scope === group.scope).map((s) => [s.name, s.position]));
      for (const [name, position] of assignPositions(group.names, positions)) {
        const key = `${group.kind}\u0000${group.scope}\u0000${name}`;
        const pending = upserting.get(key);
        if (pending) {
          pending.position = position;
          continue;
        }
        const row = { ...plan.after.rows.get(key)!, position };
        plan.upserts.push(row);
        changes.push({ kind: row.kind, ...(row.scope ? { scope: row.scope } : {}), name: row.name, op: "move" });
      }
    }
  }
  if (plan.deletes.length) {
    await tx.$executeRaw`
      DELETE FROM "ConfigResource" r USING jsonb_to_recordset(${JSON.stringify(plan.deletes.map(({ kind, scope, name }) => ({ kind, scope, name })))}::jsonb) AS d("kind" text, "scope" text, "name" text)
      WHERE r."kind" = d."kind" AND r."scope" = d."scope" AND r."name" = d."name"`;
  }
  const rowOf = (u: TWritePlan["upserts"][number]) => ({ kind: u.kind, scope: u.scope, name: u.name, position: u.position, spec: storedSpec(u.kind, u.spec, box) });
  const placed = plan.upserts.filter((u) => u.position !== undefined).map(rowOf);
  const rewritten = plan.upserts.filter((u) => u.position === undefined).map(rowOf);
  if (placed.length) {
    await tx.$executeRaw`
      INSERT INTO "ConfigResource" ("kind", "scope", "name", "position", "spec")
      SELECT x."kind", x."scope", x."name", x."position", x."spec" FROM jsonb_to_recordset(${JSON.stringify(placed)}::jsonb)
        AS x("kind" text, "scope" text, "name" text, "position" float8, "spec" jsonb)
      ON CONFLICT ("kind", "scope", "name") DO UPDATE SET "position" = EXCLUDED."position", "spec" = EXCLUDED."spec"`;
  }
  if (rewritten.length) {
    await tx.$executeRaw`
      UPDATE "ConfigResource" r SET "spec" = x."spec" FROM jsonb_to_recordset(${JSON.stringify(rewritten)}::jsonb)
        AS x("kind" text, "scope" text, "name" text, "spec" jsonb)
      WHERE r."kind" = x."kind" AND r."scope" = x."scope" AND r."name" = x."name"`;
  }
  const ip = opts.ip ?? null;
  const details = JSON.stringify({ revision, source: opts.source, changes, ...opts.details });
  await tx.$executeRaw`
    WITH change AS (
      INSERT INTO "ConfigChange" ("revision", "actor", "ip", "source", "changes") VALUES (${revision}, ${opts.actor}, ${ip}, ${opts.source}, ${JSON.stringify(changes)}::jsonb)
    )
    INSERT INTO "AuditLog" ("actor", "action", "target", "ip", "details") VALUES (${opts.actor}, ${AUDIT_ACTIONS.replaceWorkingConfig}, 'working-config', ${ip}, ${details}::jsonb)`;
  // Open config pages update from this (sent on commit; never for a write that rolled back).
  await notifyChange(tx, { scope: "working", actor: opts.actor, revision, resources: changes.map((c) => `${c.kind}/${c.scope ? `${c.scope}/` : ""}${c.name}`) });
  return { revision, changes };
}

/** Private keys are sealed (AES-256-GCM) before they reach the table. */
function storedSpec(kind: string, spec: unknown, box: TSecretBox | null): unknown {
  const s = spec as { type?: string; privateKey?: string };
  if (kind !== "secrets" || s.type !== "tlsCertificate" || typeof s.privateKey !== "string") return spec;
  return { ...s, privateKey: sealPrivateKey(box, s.privateKey) };
}

/** The stored rows as a config document (private keys opened), not validated. */
async function loadRows(tx: Tx, box: TSecretBox | null): Promise<Record<string, unknown[]>> {
  const rows = await tx.configResource.findMany({ orderBy: [{ kind: "asc" }, { scope: "asc" }, { position: "asc" }, { name: "asc" }] });
  const { raw, orphans } = assembleConfig(
    rows.map((r) => {
      const spec = r.spec as { privateKey?: unknown };
      return { kind: r.kind, scope: r.scope, spec: r.kind === "secrets" && typeof spec.privateKey === "string" ? { ...spec, privateKey: openPrivateKey(box, spec.privateKey) } : spec };
    }),
  );
  if (orphans.length) throw new StoredConfigError(`the stored working config has routes of virtual hosts that do not exist: ${orphans.join(", ")}`);
  return raw;
}

/**
 * Assembles and validates the stored config: rows go through config-model like any
 * other untrusted input; rows that no longer form a valid config (edited by hand, or the
 * model tightened) raise StoredConfigError with the issues.
 */
async function loadWorkingConfig(tx: Tx, box: TSecretBox | null): Promise<TWorkingConfig> {
  const [revision, raw] = [await readRevision(tx), await loadRows(tx, box)];
  const result = validateConfig(raw);
  if (!result.ok) {
    const cause = new ConfigValidationError(result.issues);
    throw new StoredConfigError(`the stored working config is invalid:\n${cause.message}`, { cause });
  }
  return { config: result.config, revision };
}
