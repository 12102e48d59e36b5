import { createHash, randomBytes } from "node:crypto";
import { AUDIT_ACTIONS, appendAudit } from "./audit.ts";
import type { Db } from "./client.ts";
import { DbError } from "./errors.ts";
import { checkPassword, hashPassword, needsRehash } from "./password-hash.ts";

export type TRole = "admin" | "editor" | "viewer";
/** `source`: "local" (signs in with a password) or "oidc" (with the identity provider; no password). */
export type TUser = { id: string; email: string; role: TRole; source: "local" | "oidc" };

/** Default session lifetime: 7 days. */
export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function requireCredentials(email: string, password: string): void {
  if (!/^[^\s@]+@[^\s@]+$/.test(normaliseEmail(email))) throw new Error(`email: "${email}" is not an e-mail address`);
  if (password.length === 0) throw new Error("password: must not be empty");
}

export async function createUser(db: Db, input: { email: string; password: string; role: TRole; actor?: string; ip?: string | null }): Promise<TUser> {
  requireCredentials(input.email, input.password);
  if (await db.prisma.user.findUnique({ where: { email: normaliseEmail(input.email) } })) {
    throw new UserError(409, `email: a user "${normaliseEmail(input.email)}" exists already`);
  }
  const row = await db.prisma.user.create({
    data: { email: normaliseEmail(input.email), passwordHash: await hashPassword(input.password), role: input.role },
  });
  await appendAudit(db, { actor: input.actor ?? "system", action: AUDIT_ACTIONS.userCreate, ip: input.ip ?? null, target: row.email, details: { role: row.role } });
  return toUser(row);
}

/**
 * Creates the first admin (SWITCHYARD_ADMIN_EMAIL / _PASSWORD) unless a user with that
 * e-mail exists; an existing user is returned as is (its password is not reset).
 */
export async function ensureAdminUser(db: Db, email: string, password: string): Promise<TUser> {
  const existing = await db.prisma.user.findUnique({ where: { email: normaliseEmail(email) } });
  if (existing) return toUser(existing);
  try {
    return await createUser(db, { email, password, role: "admin" });
  } catch (err) {
    // P2002: another console process created it at the same moment.
    if ((err as { code?: string }).code === "P2002") {
      const row = await db.prisma.user.findUnique({ where: { email: normaliseEmail(email) } });
      if (row) return toUser(row);
    }
    throw err;
  }
}

// Checked against when the e-mail is unknown, so both paths cost one hash.
let dummyHash: Promise<string> | undefined;

export async function verifyPassword(db: Db, email: string, password: string): Promise<TUser | null> {
  const row = await db.prisma.user.findUnique({ where: { email: normaliseEmail(email) } });
  // An unknown e-mail and an OIDC user (no local password) cost one hash too and fail the same way.
  if (!row?.passwordHash) {
    await checkPassword(password, await (dummyHash ??= hashPassword("not-a-password")));
    return null;
  }
  if (!(await checkPassword(password, row.passwordHash))) return null;
  // Transparent upgrade: a hash made with an older scheme or weaker parameters is replaced
  // now, while the password is at hand (only if no one changed it meanwhile).
  if (needsRehash(row.passwordHash)) {
    await db.prisma.user.updateMany({ where: { id: row.id, passwordHash: row.passwordHash }, data: { passwordHash: await hashPassword(password) } });
  }
  return toUser(row);
}

export async function getUser(db: Db, id: string): Promise<TUser | null> {
  const row = await db.prisma.user.findUnique({ where: { id } });
  return row ? toUser(row) : null;
}

export async function listUsers(db: Db): Promise<TUser[]> {
  return (await db.prisma.user.findMany({ orderBy: { createdAt: "asc" } })).map(toUser);
}

// --- sessions ------------------------------------------------------------------------

function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A new random session token (returned once, to be set as a cookie); only its sha256 is stored. */
export async function createSession(db: Db, userId: string, opts: { ttlMs?: number } = {}): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + (opts.ttlMs ?? SESSION_TTL_MS));
  await db.prisma.session.create({ data: { id: tokenHash(token), userId, expiresAt } });
  return { token, expiresAt };
}

/** The user of a live session, or null (unknown, expired — an expired one is deleted). */
export async function getSessionUser(db: Db, token: string): Promise<TUser | null> {
  if (!token) return null;
  const session = await db.prisma.session.findUnique({ where: { id: tokenHash(token) }, include: { user: true } });
  if (!session) return null;
  if (session.expiresAt.getTime() <= Date.now()) {
    await db.prisma.session.deleteMany({ where: { id: session.id } });
    return null;
  }
  return toUser(session.user);
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.prisma.session.deleteMany({ where: { id: tokenHash(token) } });
}

export async function deleteExpiredSessions(db: Db): Promise<number> {
  const { count } = await db.prisma.session.deleteMany({ where: { expiresAt: { lte: new Date() } } });
  return count;
}

function toUser(row: { id: string; email: string; role: TRole; oidcSubject: string | null }): TUser {
  return { id: row.id, email: row.email, role: row.role, source: row.oidcSubject === null ? "local" : "oidc" };
}

// --- OIDC users ----------------------------------------------------------------------------

/**
 * The console user of an identity provider's account, created at its first sign-in and
 * updated at each one after: the role comes from the provider every time (so a change of
 * group there takes effect at the next sign-in), the e-mail follows the provider's. The
 * account is found by issuer + subject, never by e-mail: a local user with the same e-mail
 * is refused (409), not taken over, since an e-mail at a provider proves less than a password here.
 */
export async function upsertOidcUser(db: Db, input: { issuer: string; subject: string; email: string; role: TRole }): Promise<{ user: TUser; created: boolean; previousRole: TRole | null }> {
  const email = normaliseEmail(input.email);
  const existing = await db.prisma.user.findUnique({ where: { oidcIssuer_oidcSubject: { oidcIssuer: input.issuer, oidcSubject: input.subject } } });
  const holder = await db.prisma.user.findUnique({ where: { email } });
  if (holder && holder.id !== existing?.id) {
    throw new UserError(409, holder.oidcSubject === null ? `email: a local user "${email}" exists already (it signs in with its password)` : `email: "${email}" belongs to another OIDC account`);
  }
  if (existing) {
    const row = await db.prisma.user.update({ where: { id: existing.id }, data: { email, role: input.role } });
    // A changed role ends the user's other sessions, as an admin's role change does.
    if (existing.role !== input.role) await db.prisma.session.deleteMany({ where: { userId: existing.id } });
    return { user: toUser(row), created: false, previousRole: existing.role };
  }
  const row = await db.prisma.user.create({ data: { email, role: input.role, passwordHash: null, oidcIssuer: input.issuer, oidcSubject: input.subject } });
  return { user: toUser(row), created: true, previousRole: null };
}

// --- user management (admins) ----------------------------------------------------------

export class UserError extends DbError {
  constructor(status: 404 | 409 | 422, message: string) {
    super(status === 404 ? "SWY_ERR_USER_NOT_FOUND" : status === 409 ? "SWY_ERR_USER_CONFLICT" : "SWY_ERR_USER_INVALID", status, message);
    this.name = "UserError";
  }
}

/** Refuses to leave the console without an admin (nobody could manage users any more). */
async function assertAdminRemains(db: Db, changingUserId: string): Promise<void> {
  const admins = await db.prisma.user.count({ where: { role: "admin", id: { not: changingUserId } } });
  if (admins === 0) throw new UserError(409, "role: the last admin cannot be demoted or deleted");
}

export async function updateUser(
  db: Db,
  id: string,
  input: { role?: TRole; password?: string; actor: string; ip?: string | null },
): Promise<TUser> {
  const row = await db.prisma.user.findUnique({ where: { id } });
  if (!row) throw new UserError(404, `user ${id} does not exist`);
  if (input.role && input.role !== "admin" && row.role === "admin") await assertAdminRemains(db, id);
  if (input.password !== undefined && input.password.length < 8) throw new UserError(422, "password: must be at least 8 characters");
  if (input.password !== undefined && row.oidcSubject !== null) throw new UserError(422, "password: this user signs in with OIDC and has no local password");
  const updated = await db.prisma.user.update({
    where: { id },
    data: { ...(input.role ? { role: input.role } : {}), ...(input.password !== undefined ? { passwordHash: await hashPassword(input.password) } : {}) },
  });
  // A new password or a lower role ends the user's sessions, so it takes effect now.
  if (input.password !== undefined || (input.role && input.role !== row.role)) await db.prisma.session.deleteMany({ where: { userId: id } });
  await appendAudit(db, {
    actor: input.actor,
    ip: input.ip ?? null,
    action: AUDIT_ACTIONS.userUpdate,
    target: row.email,
    details: { ...(input.role ? { role: { from: row.role, to: input.role } } : {}), ...(input.password !== undefined ? { password: "changed" } : {}) },
  });
  return toUser(updated);
}

export async function deleteUser(db: Db, id: string, opts: { actor: string; ip?: string | null }): Promise<void> {
  const row = await db.prisma.user.findUnique({ where: { id } });
  if (!row) throw new UserError(404, `user ${id} does not exist`);
  if (row.role === "admin") await assertAdminRemains(db, id);
  await db.prisma.user.delete({ where: { id } });
  await appendAudit(db, { actor: opts.actor, ip: opts.ip ?? null, action: AUDIT_ACTIONS.userDelete, target: row.email, details: { role: row.role } });
}

/** Whether a user has this e-mail address (so a failed login may name it in the audit log). */
export async function userExists(db: Db, email: string): Promise<boolean> {
  return (await db.prisma.user.count({ where: { email: normaliseEmail(email) } })) > 0;
}
