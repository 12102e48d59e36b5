import { AUDIT_ACTIONS, appendAudit, createSession, deleteSession, getSessionUser, verifyPassword, type Db } from "@switchyard/db";
import { AppError } from "./app-error.ts";
import { auditFailedLogin, refuseWhileBackingOff } from "./login-guard.ts";

/** `source`: "oidc" for a user the identity provider signs in (no local password). */
export type TSessionUser = { id: string; email: string; role: string; source: "local" | "oidc" };

/** Logs in; failures back off per source address (login-guard.ts), never per account. */
export async function login(db: Db, email: string, password: string, ip: string | null = null): Promise<{ user: TSessionUser; token: string; expiresAt: Date }> {
  await refuseWhileBackingOff(db, ip);
  const user = await verifyPassword(db, email, password);
  // One message for unknown email and wrong password: do not reveal which accounts exist.
  if (!user) {
    await auditFailedLogin(db, email, ip);
    throw new AppError("UNAUTHORIZED", "wrong email or password");
  }
  await appendAudit(db, { actor: user.email, action: AUDIT_ACTIONS.login, target: user.email, ip });
  const session = await createSession(db, user.id);
  return { user: { id: String(user.id), email: user.email, role: String(user.role), source: user.source }, token: session.token, expiresAt: new Date(session.expiresAt) };
}

/** Ends the session and audits it (the adapter checks the CSRF header first and clears the cookie). */
export async function logout(db: Db, session: { token: string | undefined; user: TSessionUser; ip: string | null }): Promise<void> {
  if (session.token) await deleteSession(db, session.token);
  await appendAudit(db, { actor: session.user.email, action: AUDIT_ACTIONS.logout, target: session.user.email, ip: session.ip });
}

export async function userForSession(db: Db, token: string | undefined): Promise<TSessionUser | null> {
  if (!token) return null;
  const user = await getSessionUser(db, token);
  return user ? { id: String(user.id), email: user.email, role: String(user.role), source: user.source } : null;
}
