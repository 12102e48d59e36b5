import { createHash, randomBytes } from "node:crypto";
import { AUDIT_ACTIONS, appendAudit } from "./audit.ts";
import type { Db } from "./client.ts";
import { DbError } from "./errors.ts";
import { notifyNodeTokenRevoked } from "./notify.ts";
import type { TRole } from "./users.ts";

/**
 * API tokens (REST) and node tokens (/api/xds). A token is shown once, when created;
 * only its sha256 is stored (tokens are 32 random bytes, so a fast hash is enough —
 * a KDF protects guessable passwords, not random keys). Revocation keeps the row.
 */

export type TTokenScope = "read" | "write";
export type TApiToken = {
  id: string;
  name: string;
  prefix: string;
  scope: TTokenScope;
  userId: string;
  userEmail: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};
export type TApiTokenOwner = { tokenId: string; tokenName: string; scope: TTokenScope; userId: string; email: string; role: TRole };
export type TNodeToken = { id: string; name: string; group: string; prefix: string; createdBy: string; createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null };

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function newToken(kind: "pat" | "node"): string {
  return `swy_${kind}_${randomBytes(32).toString("base64url")}`;
}

/** Only the last-used time is throttled: one write a minute per token is plenty. */
const TOUCH_EVERY_MS = 60_000;

// --- API tokens ------------------------------------------------------------------------

export async function createApiToken(
  db: Db,
  input: { name: string; scope: TTokenScope; userId: string; actor: string; ip?: string | null },
): Promise<{ token: string; record: TApiToken }> {
  const user = await db.prisma.user.findUnique({ where: { id: input.userId } });
  if (!user) throw new DbError("SWY_ERR_USER_NOT_FOUND", 404, `user ${input.userId} does not exist`);
  // A viewer's token can only read: a token never gives more than its owner has.
  if (input.scope === "write" && user.role === "viewer") throw new DbError("SWY_ERR_TOKEN_SCOPE", 403, "scope: a viewer can only create read tokens");
  const token = newToken("pat");
  const row = await db.prisma.apiToken.create({
    data: { name: input.name, scope: input.scope, userId: input.userId, tokenHash: hashToken(token), prefix: token.slice(0, 12) },
    include: { user: true },
  });
  await appendAudit(db, { actor: input.actor, ip: input.ip ?? null, action: AUDIT_ACTIONS.apiTokenCreate, target: `api-token/${row.name}`, details: { id: row.id, scope: row.scope, owner: row.user.email } });
  return { token, record: toApiToken(row) };
}

export async function listApiTokens(db: Db, opts: { userId?: string } = {}): Promise<TApiToken[]> {
  const rows = await db.prisma.apiToken.findMany({ where: opts.userId ? { userId: opts.userId } : {}, include: { user: true }, orderBy: { createdAt: "desc" } });
  return rows.map(toApiToken);
}

export async function revokeApiToken(db: Db, id: string, opts: { actor: string; ip?: string | null; onlyUserId?: string }): Promise<TApiToken> {
  const row = await db.prisma.apiToken.findUnique({ where: { id }, include: { user: true } });
  if (!row || (opts.onlyUserId && row.userId !== opts.onlyUserId)) throw new DbError("SWY_ERR_TOKEN_NOT_FOUND", 404, `API token ${id} does not exist`);
  const updated = row.revokedAt ? row : await db.prisma.apiToken.update({ where: { id }, data: { revokedAt: new Date() }, include: { user: true } });
  await appendAudit(db, { actor: opts.actor, ip: opts.ip ?? null, action: AUDIT_ACTIONS.apiTokenRevoke, target: `api-token/${row.name}`, details: { id, owner: row.user.email } });
  return toApiToken(updated);
}

/** The live token's owner and scope, or null (unknown or revoked). Records the last use. */
export async function authenticateApiToken(db: Db, token: string): Promise<TApiTokenOwner | null> {
  const row = await db.prisma.apiToken.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
  if (!row || row.revokedAt) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
    await db.prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  }
  return { tokenId: row.id, tokenName: row.name, scope: row.scope as TTokenScope, userId: row.userId, email: row.user.email, role: row.user.role };
}

function toApiToken(r: {
  id: string;
  name: string;
  prefix: string;
  scope: string;
  userId: string;
  user: { email: string };
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}): TApiToken {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scope: r.scope as TTokenScope,
    userId: r.userId,
    userEmail: r.user.email,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
    revokedAt: r.revokedAt,
  };
}

// --- node tokens -----------------------------------------------------------------------

/** `token` lets a caller (npm start) choose the value; otherwise a random one is made. */
export async function createNodeToken(
  db: Db,
  input: { name: string; group: string; actor: string; ip?: string | null; token?: string },
): Promise<{ token: string; record: TNodeToken }> {
  const token = input.token ?? newToken("node");
  const row = await db.prisma.nodeToken.create({
    data: { name: input.name, group: input.group, tokenHash: hashToken(token), prefix: token.slice(0, 13), createdBy: input.actor },
  });
  await appendAudit(db, { actor: input.actor, ip: input.ip ?? null, action: AUDIT_ACTIONS.nodeTokenCreate, target: `node-token/${row.name}`, details: { id: row.id, group: row.group } });
  return { token, record: toNodeToken(row) };
}

export async function listNodeTokens(db: Db): Promise<TNodeToken[]> {
  return (await db.prisma.nodeToken.findMany({ orderBy: { createdAt: "desc" } })).map(toNodeToken);
}

export async function revokeNodeToken(db: Db, id: string, opts: { actor: string; ip?: string | null }): Promise<TNodeToken> {
  const row = await db.prisma.nodeToken.findUnique({ where: { id } });
  if (!row) throw new DbError("SWY_ERR_TOKEN_NOT_FOUND", 404, `node token ${id} does not exist`);
  const updated = row.revokedAt ? row : await db.prisma.nodeToken.update({ where: { id }, data: { revokedAt: new Date() } });
  await appendAudit(db, { actor: opts.actor, ip: opts.ip ?? null, action: AUDIT_ACTIONS.nodeTokenRevoke, target: `node-token/${row.name}`, details: { id, group: row.group } });
  // Every console replica closes the token's open sessions at once.
  await notifyNodeTokenRevoked(db, id);
  return toNodeToken(updated);
}

/** Of these node token ids, those revoked or gone (sessions still open on them must close). */
export async function revokedNodeTokenIds(db: Db, ids: readonly string[]): Promise<string[]> {
  if (!ids.length) return [];
  const live = await db.prisma.nodeToken.findMany({ where: { id: { in: [...ids] }, revokedAt: null }, select: { id: true } });
  const ok = new Set(live.map((t) => t.id));
  return ids.filter((id) => !ok.has(id));
}

/** Whether any node token was ever created: from then on /api/xds requires one. */
export async function nodeTokensConfigured(db: Db): Promise<boolean> {
  return (await db.prisma.nodeToken.count()) > 0;
}

/** The live node token's group, or null (unknown or revoked). */
export async function authenticateNodeToken(db: Db, token: string): Promise<{ id: string; name: string; group: string } | null> {
  const row = await db.prisma.nodeToken.findUnique({ where: { tokenHash: hashToken(token) } });
  if (!row || row.revokedAt) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
    await db.prisma.nodeToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  }
  return { id: row.id, name: row.name, group: row.group };
}

function toNodeToken(r: TNodeToken & { tokenHash?: string }): TNodeToken {
  return { id: r.id, name: r.name, group: r.group, prefix: r.prefix, createdBy: r.createdBy, createdAt: r.createdAt, lastUsedAt: r.lastUsedAt, revokedAt: r.revokedAt };
}
