import { AUDIT_ACTIONS, appendAudit, countAudit, lastAuditAt, userExists, type Db } from "@switchyard/db";
import { AppError } from "./app-error.ts";

/**
 * Login abuse, per source (issue #20): failures are audit rows (so the back-off holds across
 * replicas and restarts), counted per client address. The first FREE_FAILURES in the window
 * cost nothing; each one after doubles the wait before that address may try again, up to
 * MAX_DELAY_MS. Nobody else is affected: the real admin logging in from their own address
 * is never refused because someone guessed at their account elsewhere.
 */
export const LOGIN_BACKOFF = { windowMs: 15 * 60_000, freeFailures: 5, firstDelayMs: 1_000, maxDelayMs: 15 * 60_000 } as const;

/** How long `failures` recent failures make a source wait after its last one. */
export function backoffDelayMs(failures: number): number {
  if (failures < LOGIN_BACKOFF.freeFailures) return 0;
  return Math.min(LOGIN_BACKOFF.maxDelayMs, LOGIN_BACKOFF.firstDelayMs * 2 ** (failures - LOGIN_BACKOFF.freeFailures));
}

/** RATE_LIMITED (with `retryAfterS`) when this source must still wait; before the password is checked. */
export async function refuseWhileBackingOff(db: Db, ip: string | null, now = Date.now()): Promise<void> {
  if (!ip) return;
  const since = new Date(now - LOGIN_BACKOFF.windowMs);
  const failures = await countAudit(db, { action: AUDIT_ACTIONS.loginFailed, since, ip });
  const delay = backoffDelayMs(failures);
  if (!delay) return;
  const last = await lastAuditAt(db, { action: AUDIT_ACTIONS.loginFailed, since, ip });
  const waitMs = last ? last.getTime() + delay - now : 0;
  if (waitMs > 0) {
    const retryAfterS = Math.ceil(waitMs / 1000);
    throw new AppError("RATE_LIMITED", `too many failed logins from your address: try again in ${retryAfterS} s`, [], { retryAfterS });
  }
}

/**
 * Audits a failed login. The typed "e-mail" is often a password typed in the wrong field,
 * and viewers read the audit log: it is stored only when it is a user's address.
 */
export async function auditFailedLogin(db: Db, typedEmail: string, ip: string | null): Promise<void> {
  const email = typedEmail.trim().toLowerCase();
  const known = await userExists(db, email);
  await appendAudit(db, { actor: known ? email : "(unknown user)", action: AUDIT_ACTIONS.loginFailed, ...(known ? { target: email } : {}), ip });
}
