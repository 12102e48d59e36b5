import {
  ConfigValidationError,
  diffConfigs,
  hashConfig,
  validateConfig,
  type TConfig,
  type TConfigDiff,
} from "@switchyard/config-model";
import { AUDIT_ACTIONS, appendAudit, clampLimit, toJson } from "./audit.ts";
import { lockConfig, transaction, type Db, type Tx } from "./client.ts";
import { StoredConfigError, VersionNotFoundError } from "./errors.ts";
import { notifyVersion } from "./notify.ts";
import { readWorkingConfig, writeWorkingConfig } from "./working-config.ts";

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
export type TPublishResult = { version: number; hash: string; unchanged: boolean };

/**
 * Publishes the working config as version n+1 (parent n), in one transaction: read,
 * validate as a whole (ConfigValidationError when invalid), insert, audit, NOTIFY
 * config_version (delivered by Postgres on commit, never for a rolled-back publish).
 * Every publish is a version; `unchanged` says its hash equals the previous one's.
 * Publishes serialise on the config lock, so two never get the same number.
 */
export async function publishVersion(db: Db, opts: { actor: string; message: string }): Promise<TPublishResult> {
  return transaction(db, async (tx) => {
    await lockConfig(tx);
    const { config: raw } = await readWorkingConfig(tx, { validate: false });
    const validated = validateConfig(raw);
    if (!validated.ok) throw new ConfigValidationError(validated.issues);
    return insertVersion(tx, validated.config, { ...opts, action: AUDIT_ACTIONS.publish });
  });
}

/**
 * Publishes a new version n+1 whose content equals version k (message "rollback to vk")
 * and resets the working config to it. History stays append-only.
 */
export async function rollbackToVersion(db: Db, version: number, opts: { actor: string }): Promise<{ version: number; hash: string }> {
  return transaction(db, async (tx) => {
    await lockConfig(tx);
    const target = await tx.configVersion.findUnique({ where: { version } });
    if (!target) throw new VersionNotFoundError(version);
    const validated = validateConfig(target.snapshot);
    // An old snapshot the current model refuses cannot be served again; say why.
    if (!validated.ok) throw new ConfigValidationError(validated.issues);
    await writeWorkingConfig(tx, validated.config, opts.actor);
    const { version: created, hash } = await insertVersion(tx, validated.config, {
      actor: opts.actor,
      message: `rollback to v${version}`,
      action: AUDIT_ACTIONS.rollback,
      rolledBackTo: version,
    });
    return { version: created, hash };
  });
}

export async function getLatestVersion(db: Db): Promise<TVersion | null> {
  const row = await db.prisma.configVersion.findFirst({ orderBy: { version: "desc" } });
  return row ? toVersion(row) : null;
}

export async function getVersion(db: Db, version: number): Promise<TVersion | null> {
  if (!Number.isSafeInteger(version)) return null;
  const row = await db.prisma.configVersion.findUnique({ where: { version } });
  return row ? toVersion(row) : null;
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
export function publishInTx(tx: Tx, config: TConfig, opts: { actor: string; message: string }): Promise<TPublishResult> {
  return insertVersion(tx, config, { ...opts, action: AUDIT_ACTIONS.publish });
}

async function insertVersion(
  tx: Tx,
  config: TConfig,
  opts: { actor: string; message: string; action: string; rolledBackTo?: number },
): Promise<TPublishResult> {
  const latest = await tx.configVersion.findFirst({ orderBy: { version: "desc" }, select: { version: true, hash: true } });
  const version = (latest?.version ?? 0) + 1;
  const hash = hashConfig(config);
  await tx.configVersion.create({
    data: {
      version,
      hash,
      snapshot: toJson(config),
      author: opts.actor,
      message: opts.message,
      parentVersion: latest?.version ?? null,
    },
  });
  const unchanged = latest !== null && latest.hash === hash;
  await appendAudit(tx, {
    actor: opts.actor,
    action: opts.action,
    target: `v${version}`,
    details: { version, hash, parentVersion: latest?.version ?? null, message: opts.message, unchanged, ...(opts.rolledBackTo !== undefined ? { rolledBackTo: opts.rolledBackTo } : {}) },
  });
  await notifyVersion(tx, version);
  return { version, hash, unchanged };
}

function toVersion(row: {
  version: number;
  hash: string;
  snapshot: unknown;
  author: string;
  message: string;
  parentVersion: number | null;
  createdAt: Date;
}): TVersion {
  // Snapshots are validated on the way out like any input from outside the process.
  const validated = validateConfig(row.snapshot);
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
