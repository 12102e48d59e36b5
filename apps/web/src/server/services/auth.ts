import { AUDIT_ACTIONS, appendAudit, countAudit, createSession, deleteSession, getSessionUser, verifyPassword, type Db } from "@switchyard/db";
import { AppError } from "./app-error.ts";

export type TSessionUser = { id: string; email: string; role: string };

/**
 * Login rate limit: failed attempts are audit rows, so the limit holds across console
 * replicas and restarts. 5 failures per e-mail or 20 per client address in 15 minutes
 * lock further attempts until the oldest falls out of the window.
 */
export const LOGIN_LIMIT = { windowMs: 15 * 60_000, perEmail: 5, perIp: 20 } as const;

export async function login(db: Db, email: string, password: string, ip: string | null = null): Promise<{ user: TSessionUser; token: string; expiresAt: Date }> {
  const target = email.trim().toLowerCase();
  const since = new Date(Date.now() - LOGIN_LIMIT.windowMs);
  const [byEmail, byIp] = await Promise.all([
    countAudit(db, { action: AUDIT_ACTIONS.loginFailed, since, target }),
    ip ? countAudit(db, { action: AUDIT_ACTIONS.loginFailed, since, ip }) : Promise.resolve(0),
  ]);
  if (byEmail >= LOGIN_LIMIT.perEmail || byIp >= LOGIN_LIMIT.perIp) {
    throw new AppError("RATE_LIMITED", "too many failed logins: try again in 15 minutes");
  }
  const user = await verifyPassword(db, email, password);
  // One message for unknown email and wrong password: do not reveal which accounts exist.
  if (!user) {
    await appendAudit(db, { actor: target, action: AUDIT_ACTIONS.loginFailed, target, ip });
    throw new AppError("UNAUTHORIZED", "wrong email or password");
  }
  await appendAudit(db, { actor: user.email, action: AUDIT_ACTIONS.login, target: user.email, ip });
  const session = await createSession(db, user.id);
  return { user: { id: String(user.id), email: user.email, role: String(user.role) }, token: session.token, expiresAt: new Date(session.expiresAt) };
}

/** Ends the session and audits it (the adapter checks the CSRF header first and clears the cookie). */
export async function logout(db: Db, session: { token: string | undefined; user: TSessionUser; ip: string | null }): Promise<void> {
  if (session.token) await deleteSession(db, session.token);
  await appendAudit(db, { actor: session.user.email, action: AUDIT_ACTIONS.logout, target: session.user.email, ip: session.ip });
}

export async function userForSession(db: Db, token: string | undefined): Promise<TSessionUser | null> {
  if (!token) return null;
  const user = await getSessionUser(db, token);
  return user ? { id: String(user.id), email: user.email, role: String(user.role) } : null;
}
