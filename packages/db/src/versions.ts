import {
  mapSealedField,
  sealedFieldOf,
  ConfigValidationError,
  diffConfigs,
  formatDiff,
  hashConfig,
  validateConfig,
  type TConfig,
  type TConfigDiff,
} from "@switchyard/config-model";
import { AUDIT_ACTIONS, appendAudit, clampLimit, toJson } from "./audit.ts";
import { lockConfig, transaction, type Db, type Tx } from "./client.ts";
import { DbError, StoredConfigError, VersionNotFoundError } from "./errors.ts";
import { notifyVersion } from "./notify.ts";
import { startCanaryInTx, setStableInTx, type TCanaryInput } from "./rollouts.ts";
import { openPrivateKey, sealPrivateKey, type TSecretBox } from "./secret-box.ts";
import { readWorkingConfigInTx, writeWorkingConfig } from "./working-config.ts";

export type TVersion = {
  version: number;
  hash: string;
  config: TConfig;
  author: string;
  message: string;
  parentVersion: number | null;
  createdAt: Date;
};
export type TVersionSummary = Omit<TVersion, "config">;
export type TPublishResult = { version: number; hash: string; unchanged: boolean; rolloutId: number | null };

/**
 * Publishes the working config as version n+1 (parent n), in one transaction: read,
 * validate as a whole (ConfigValidationError when invalid), insert, audit, NOTIFY
 * config_version (delivered by Postgres on commit, never for a rolled-back publish).
 * Every publish is a version; `unchanged` says its hash equals the previous one's.
 * Publishes serialise on the config lock, so two never get the same number.
 *
 * Without `canary` the version goes to every node (it becomes the stable version and
 * supersedes an active canary). With `canary` only that group gets it: a rollout starts
 * and the other groups stay on the stable version until it is promoted.
 */
export async function publishVersion(
  db: Db,
  opts: { actor: string; message: string; ip?: string | null; canary?: TCanaryInput },
): Promise<TPublishResult> {
  return transaction(db, async (tx) => {
    await lockConfig(tx);
    const working = await readWorkingConfigInTx(tx, db).catch((err: unknown) => {
      // Stored rows the current model refuses (the rules got stricter): say why, per path.
      throw err instanceof StoredConfigError && err.cause instanceof ConfigValidationError ? err.cause : err;
    });
    return insertVersion(tx, working.config, db.secrets, { ...opts, action: AUDIT_ACTIONS.publish });
  });
}

/**
 * Publishes a new version n+1 whose content equals version k (message "rollback to vk")
 * and resets the working config to it. History stays append-only.
 */
export async function rollbackToVersion(db: Db, version: number, opts: { actor: string; ip?: string | null }): Promise<{ version: number; hash: string }> {
  return transaction(db, async (tx) => {
    await lockConfig(tx);
    const target = await tx.configVersion.findUnique({ where: { version } });
    if (!target) throw new VersionNotFoundError(version);
    const validated = validateConfig(openSnapshot(target.snapshot, db.secrets));
    // An old snapshot the current model refuses cannot be served again; say why.
    if (!validated.ok) throw new ConfigValidationError(validated.issues);
    // The working config is reset too, with its own change set (forms detect stale edits from it).
    const before = await readWorkingConfigInTx(tx, db, { validate: false });
    await writeWorkingConfig(tx, db, before.config, validated.config, { actor: opts.actor, ip: opts.ip ?? null, source: "rollback", details: { rollbackTo: version } });
    const { version: created, hash } = await insertVersion(tx, validated.config, db.secrets, {
      actor: opts.actor,
      ip: opts.ip ?? null,
      message: `rollback to v${version}`,
      action: AUDIT_ACTIONS.rollback,
      rolledBackTo: version,
    });
    return { version: created, hash };
  });
}

export async function getLatestVersion(db: Db): Promise<TVersion | null> {
  const row = await db.prisma.configVersion.findFirst({ orderBy: { version: "desc" } });
  return row ? toVersion(row, db.secrets) : null;
}

export async function getVersion(db: Db, version: number): Promise<TVersion | null> {
  if (!Number.isSafeInteger(version)) return null;
  const row = await db.prisma.configVersion.findUnique({ where: { version } });
  return row ? toVersion(row, db.secrets) : null;
}

/** Newest first, without snapshots. */
export async function listVersions(db: Db, opts: { limit?: number; beforeVersion?: number } = {}): Promise<TVersionSummary[]> {
  const rows = await db.prisma.configVersion.findMany({
    where: opts.beforeVersion !== undefined ? { version: { lt: opts.beforeVersion } } : {},
    orderBy: { version: "desc" },
    take: clampLimit(opts.limit, 50, 1000),
    select: { version: true, hash: true, author: true, message: true, parentVersion: true, createdAt: true },
  });
  return rows;
}

/** What changes from version a to version b; null when either does not exist. */
export async function diffVersions(db: Db, a: number, b: number): Promise<TConfigDiff | null> {
  const [from, to] = await Promise.all([getVersion(db, a), getVersion(db, b)]);
  if (!from || !to) return null;
  return diffConfigs(from.config, to.config);
}

/** Whether any version exists (the console seeds a demo config only when none does). */
export async function hasVersions(db: Db | Tx): Promise<boolean> {
  const client = "prisma" in db ? db.prisma : db;
  return (await client.configVersion.findFirst({ select: { version: true } })) !== null;
}

// --- inside transactions holding the config lock --------------------------------------

/** Publishes an already validated config as the next version (for seeding). */
export function publishInTx(tx: Tx, config: TConfig, box: TSecretBox | null, opts: { actor: string; message: string }): Promise<TPublishResult> {
  return insertVersion(tx, config, box, { ...opts, action: AUDIT_ACTIONS.publish });
}

async function insertVersion(
  tx: Tx,
  config: TConfig,
  box: TSecretBox | null,
  opts: { actor: string; message: string; action: string; rolledBackTo?: number; ip?: string | null; canary?: TCanaryInput },
): Promise<TPublishResult> {
  const latest = await tx.configVersion.findFirst({ orderBy: { version: "desc" }, select: { version: true, hash: true } });
  const version = (latest?.version ?? 0) + 1;
  const hash = hashConfig(config);
  if (opts.canary && !latest) throw new DbError("SWY_ERR_CANARY_WITHOUT_STABLE", 409, "a canary needs a stable version to compare with and return to: publish the first version to all nodes");
  await tx.configVersion.create({
    data: {
      version,
      hash,
      // Private keys inside the snapshot are sealed like the working config's.
      snapshot: toJson(sealSnapshot(config, box)),
      author: opts.actor,
      message: opts.message,
      parentVersion: latest?.version ?? null,
    },
  });
  const unchanged = latest !== null && latest.hash === hash;
  const rolloutId = opts.canary
    ? await startCanaryInTx(tx, { version, actor: opts.actor, ip: opts.ip ?? null, latestVersion: latest!.version, ...opts.canary })
    : (await setStableInTx(tx, { version, actor: opts.actor, ip: opts.ip ?? null }), null);
  // The diff against the parent is audited with the publish (secrets appear by name only).
  let diff: string[] = [];
  if (latest) {
    const parent = await tx.configVersion.findUnique({ where: { version: latest.version }, select: { snapshot: true } });
    const parsed = parent ? validateConfig(openSnapshot(parent.snapshot, box)) : null;
    if (parsed?.ok) {
      const d = diffConfigs(parsed.config, config);
      diff = d.empty ? [] : formatDiff(d).split("\n");
    }
  }
  await appendAudit(tx, {
    actor: opts.actor,
    action: opts.action,
    target: `v${version}`,
    ip: opts.ip ?? null,
    details: {
      version,
      hash,
      parentVersion: latest?.version ?? null,
      message: opts.message,
      unchanged,
      diff,
      ...(opts.canary ? { canaryGroup: opts.canary.group, rolloutId } : { to: "all" }),
      ...(opts.rolledBackTo !== undefined ? { rolledBackTo: opts.rolledBackTo } : {}),
    },
  });
  await notifyVersion(tx, version);
  return { version, hash, unchanged, rolloutId };
}

/** A copy of `config` whose sealed secret fields (private keys, wasm modules) are sealed with `box`, for the snapshot column. */
export function sealSnapshot(config: TConfig, box: TSecretBox | null): TConfig {
  if (!config.secrets.some((s) => sealedFieldOf(s) !== undefined)) return config;
  return {
    ...config,
    secrets: config.secrets.map((s) => mapSealedField(s, (v) => sealPrivateKey(box, v))),
  };
}

/** The stored snapshot with its private keys opened (untrusted shape: validated afterwards). */
export function openSnapshot(raw: unknown, box: TSecretBox | null): unknown {
  if (typeof raw !== "object" || raw === null || !Array.isArray((raw as { secrets?: unknown }).secrets)) return raw;
  const r = raw as { secrets: unknown[] };
  return {
    ...r,
    secrets: r.secrets.map((s) => mapSealedField(s, (v) => openPrivateKey(box, v))),
  };
}

function toVersion(row: {
  version: number;
  hash: string;
  snapshot: unknown;
  author: string;
  message: string;
  parentVersion: number | null;
  createdAt: Date;
}, box: TSecretBox | null): TVersion {
  // Snapshots are validated on the way out like any input from outside the process.
  const validated = validateConfig(openSnapshot(row.snapshot, box));
  if (!validated.ok) {
    throw new StoredConfigError(`version ${row.version}: stored snapshot is invalid:\n${new ConfigValidationError(validated.issues).message}`);
  }
  return {
    version: row.version,
    hash: row.hash,
    config: validated.config,
    author: row.author,
    message: row.message,
    parentVersion: row.parentVersion,
    createdAt: row.createdAt,
  };
}
