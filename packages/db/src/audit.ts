import type { Db, Tx } from "./client.ts";
import type { Prisma } from "./generated/prisma/client.ts";

export type TAuditInput = { actor: string; action: string; target?: string; ip?: string | null; details?: unknown };
export type TAuditEntry = { id: number; at: Date; actor: string; action: string; target: string | null; ip: string | null; details: unknown };

/** Actions written by this package; other packages may use their own strings. */
export const AUDIT_ACTIONS = {
  replaceWorkingConfig: "config.replace",
  publish: "version.publish",
  rollback: "version.rollback",
  userCreate: "user.create",
  userUpdate: "user.update",
  userDelete: "user.delete",
  login: "auth.login",
  loginFailed: "auth.login_failed",
  logout: "auth.logout",
  apiTokenCreate: "api_token.create",
  apiTokenRevoke: "api_token.revoke",
  nodeTokenCreate: "node_token.create",
  nodeTokenRevoke: "node_token.revoke",
  nodeRefused: "node.refused",
  /** The console closed a node's session (its token was revoked). */
  nodeDisconnected: "node.disconnected",
  rolloutStart: "rollout.start",
  rolloutPromote: "rollout.promote",
  rolloutRollback: "rollout.rollback",
  rolloutSuperseded: "rollout.superseded",
  /** A stepped rollout moved to its next step (by hand, or by itself after its bake time). */
  rolloutStep: "rollout.step",
  rolloutPause: "rollout.pause",
  rolloutResume: "rollout.resume",
  secretsReencrypt: "secrets.reencrypt",
} as const;

/** Appends one row to the append-only audit log (on `db` or inside a transaction). */
export async function appendAudit(db: Db | Tx, entry: TAuditInput): Promise<void> {
  const client = "prisma" in db ? db.prisma : db;
  await client.auditLog.create({
    data: {
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? null,
      ip: entry.ip ?? null,
      ...(entry.details === undefined ? {} : { details: toJson(entry.details) }),
    },
  });
}

/** Newest first. `beforeId` pages backwards from a previous page's last id. */
export async function listAudit(
  db: Db,
  opts: { limit?: number; beforeId?: number; actor?: string; action?: string; actionPrefix?: string; target?: string; since?: Date; until?: Date } = {},
): Promise<TAuditEntry[]> {
  const rows = await db.prisma.auditLog.findMany({
    where: {
      ...(opts.beforeId !== undefined ? { id: { lt: opts.beforeId } } : {}),
      ...(opts.actor !== undefined ? { actor: { contains: opts.actor, mode: "insensitive" as const } } : {}),
      ...(opts.action !== undefined ? { action: opts.action } : opts.actionPrefix !== undefined ? { action: { startsWith: opts.actionPrefix } } : {}),
      ...(opts.target !== undefined ? { target: { contains: opts.target, mode: "insensitive" as const } } : {}),
      ...(opts.since || opts.until ? { at: { ...(opts.since ? { gte: opts.since } : {}), ...(opts.until ? { lte: opts.until } : {}) } } : {}),
    },
    orderBy: { id: "desc" },
    take: clampLimit(opts.limit, 100, 1000),
  });
  return rows.map((r) => ({ id: r.id, at: r.at, actor: r.actor, action: r.action, target: r.target, ip: r.ip, details: r.details ?? null }));
}

/** How many audit rows of `action` match since `since` (login rate limiting reads failed logins). */
export async function countAudit(db: Db, opts: { action: string; since: Date; target?: string; ip?: string }): Promise<number> {
  return db.prisma.auditLog.count({
    where: { action: opts.action, at: { gte: opts.since }, ...(opts.target !== undefined ? { target: opts.target } : {}), ...(opts.ip !== undefined ? { ip: opts.ip } : {}) },
  });
}

/** When the newest row of `action` from `ip` since `since` was written (null: none). */
export async function lastAuditAt(db: Db, opts: { action: string; since: Date; ip: string }): Promise<Date | null> {
  const row = await db.prisma.auditLog.findFirst({ where: { action: opts.action, at: { gte: opts.since }, ip: opts.ip }, orderBy: { at: "desc" }, select: { at: true } });
  return row?.at ?? null;
}

/** Plain JSON for a Json column (drops undefined members, Dates become strings). */
export function toJson(value: unknown): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(value ?? null)) as Prisma.InputJsonValue;
}

export function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.max(1, Math.min(max, Math.trunc(limit)));
}
