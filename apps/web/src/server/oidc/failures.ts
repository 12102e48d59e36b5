import { AppError, type TAppErrorCode } from "../services/app-error.ts";

/**
 * Every way an OIDC sign-in can fail, with what the person at the browser is told. Each is
 * an AppError (the console's one error scheme: its code gives the page's HTTP status) whose
 * `details.signin` names the reason; the callback renders it as a page, never a stack.
 */
export const SIGNIN_FAILURES = {
  provider_unreachable: { code: "BAD_GATEWAY", title: "The identity provider did not answer", advice: "The console could not reach the identity provider or it failed. Try again in a minute; if it persists, tell your administrator (the console's log says why)." },
  provider_error: { code: "BAD_GATEWAY", title: "The identity provider refused the sign-in", advice: "The identity provider answered with an error. Try again; if it persists, tell your administrator." },
  access_denied: { code: "FORBIDDEN", title: "Sign-in cancelled", advice: "The sign-in was cancelled or consent was not given at the identity provider. Nothing was changed; you can sign in again." },
  state_mismatch: { code: "INVALID_INPUT", title: "This sign-in link is not valid", advice: "The answer from the identity provider does not belong to a sign-in started in this browser (it was altered, expired after 10 minutes, or another tab started a new one). Start again from the sign-in page." },
  token_rejected: { code: "UNAUTHORIZED", title: "The identity provider's answer was refused", advice: "The tokens from the identity provider did not pass the console's checks (signature, audience, nonce or code). Start again; if it persists, tell your administrator." },
  claim_missing: { code: "FORBIDDEN", title: "No access to this console", advice: "Your account at the identity provider carries no role or group information the console can map. Ask your administrator to grant you access." },
  no_role: { code: "FORBIDDEN", title: "No access to this console", advice: "You are signed in at the identity provider, but none of your groups is mapped to a console role. Ask your administrator to grant you access." },
  email_missing: { code: "FORBIDDEN", title: "No e-mail address from the identity provider", advice: "The console identifies people by e-mail address, and the identity provider sent none (or an unverified one). Ask your administrator to release the email claim." },
  account_conflict: { code: "CONFLICT", title: "This e-mail address is taken", advice: "A local console user has this e-mail address. Sign in with its password, or ask an administrator to remove that user so you can sign in with the identity provider." },
  not_configured: { code: "NOT_FOUND", title: "Single sign-on is not configured", advice: "This console has no identity provider. Sign in with your e-mail address and password." },
} as const satisfies Record<string, { code: TAppErrorCode; title: string; advice: string }>;

export type TSigninFailure = keyof typeof SIGNIN_FAILURES;

/** `email`: who the provider vouched for, when it did (the audit row names them). */
export function signinFailure(reason: TSigninFailure, message: string, options: { cause?: unknown; email?: string } = {}): AppError {
  return new AppError(SIGNIN_FAILURES[reason].code, message, [], { signin: reason, ...(options.email ? { email: options.email } : {}) }, { cause: options.cause });
}

/** The failure reason of an error thrown during sign-in, or null when it is not one of ours. */
export function signinReasonOf(err: unknown): TSigninFailure | null {
  const reason = err instanceof AppError ? err.details.signin : undefined;
  return typeof reason === "string" && reason in SIGNIN_FAILURES ? (reason as TSigninFailure) : null;
}
