import { AUDIT_ACTIONS, appendAudit, createSession, upsertOidcUser, UserError, type Db } from "@switchyard/db";
import type { TOidcIdentity } from "../oidc/provider-client.ts";
import { roleForClaims, type TOidcSettings } from "../oidc/settings.ts";
import { signinFailure, signinReasonOf } from "../oidc/failures.ts";
import { AppError } from "./app-error.ts";
import type { TSessionUser } from "./auth.ts";

/**
 * Signs in the person an identity provider vouched for: the role from the mapped claim
 * (decided again at every sign-in), the user record created or updated (marked OIDC, no
 * password), an audit row, and a session of the same kind a password login makes.
 */
export async function completeOidcLogin(
  db: Db,
  settings: Pick<TOidcSettings, "roleClaim" | "roleMap">,
  identity: TOidcIdentity,
  ip: string | null,
): Promise<{ user: TSessionUser; token: string; expiresAt: Date }> {
  const email = identity.email?.trim().toLowerCase();
  if (!email || identity.emailVerified === false) {
    throw signinFailure("email_missing", identity.email ? `the e-mail "${email}" is not verified at the provider` : "the provider sent no email claim");
  }
  const decision = roleForClaims(identity.claims, settings.roleClaim, settings.roleMap);
  if ("refused" in decision) {
    throw decision.refused === "claim_missing"
      ? signinFailure("claim_missing", `the "${settings.roleClaim}" claim is missing for ${email}`, { email })
      : signinFailure("no_role", `no role is mapped to ${email}'s "${settings.roleClaim}" values [${decision.values.slice(0, 20).join(", ")}]`, { email });
  }
  let result: Awaited<ReturnType<typeof upsertOidcUser>>;
  try {
    result = await upsertOidcUser(db, { issuer: identity.issuer, subject: identity.subject, email, role: decision.role });
  } catch (err) {
    if (err instanceof UserError && err.status === 409) throw signinFailure("account_conflict", err.message, { email });
    throw err;
  }
  const { user, created, previousRole } = result;
  await appendAudit(db, {
    actor: user.email,
    action: AUDIT_ACTIONS.login,
    target: user.email,
    ip,
    details: { method: "oidc", issuer: identity.issuer, role: user.role, ...(created ? { created: true } : {}), ...(previousRole && previousRole !== user.role ? { previousRole } : {}) },
  });
  const session = await createSession(db, user.id);
  return { user: { id: user.id, email: user.email, role: user.role, source: user.source }, token: session.token, expiresAt: session.expiresAt };
}

/**
 * Audits a refused OIDC sign-in as a failed login (so it counts toward the source's
 * back-off like a wrong password). The actor is the provider's e-mail when the provider
 * vouched for one (refused for lack of a role), else unknown.
 */
export async function auditOidcFailure(db: Db, err: unknown, ip: string | null): Promise<void> {
  const reason = signinReasonOf(err) ?? "error";
  const email = err instanceof AppError && typeof err.details.email === "string" ? err.details.email : null;
  await appendAudit(db, { actor: email ?? "(unknown user)", action: AUDIT_ACTIONS.loginFailed, ...(email ? { target: email } : {}), ip, details: { method: "oidc", reason } });
}
