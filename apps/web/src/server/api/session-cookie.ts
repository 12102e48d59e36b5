import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** The console's session cookie: httpOnly (no script access), SameSite=Lax (no cross-site POSTs). */
export const SESSION_COOKIE = "swy_session";

/**
 * CSRF protection of cookie-authenticated mutations (double submit, bound to the
 * session): the page reads this cookie (not httpOnly, SameSite=Strict) and echoes it in
 * the CSRF_HEADER of every tRPC request; the server recomputes it from the session
 * token. Another site can make the browser send the cookies, but cannot read them to
 * set the header. SameSite=Lax alone leaves same-site subdomains and old browsers open.
 */
export const CSRF_COOKIE = "swy_csrf";
export const CSRF_HEADER = "x-swy-csrf";

export function csrfTokenFor(sessionToken: string): string {
  return createHash("sha256").update(`csrf:${sessionToken}`).digest("base64url");
}

export function csrfMatches(sessionToken: string, header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return false;
  const a = Buffer.from(csrfTokenFor(sessionToken));
  const b = Buffer.from(value);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function csrfCookie(sessionToken: string, expiresAt: Date, secure: boolean): string {
  return [`${CSRF_COOKIE}=${csrfTokenFor(sessionToken)}`, "Path=/", "SameSite=Strict", `Expires=${expiresAt.toUTCString()}`, ...(secure ? ["Secure"] : [])].join("; ");
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** `secure` when the browser reached us over https (directly or via a TLS-terminating proxy). */
export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${encodeURIComponent(token)}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Expires=${expiresAt.toUTCString()}`,
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
}

export function clearedCsrfCookie(): string {
  return `${CSRF_COOKIE}=; Path=/; SameSite=Strict; Max-Age=0`;
}

/** Whether the browser reached us over https (directly or via a TLS-terminating proxy): cookies get `Secure`. */
export function requestIsSecure(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true || req.headers["x-forwarded-proto"] === "https";
}

/** The Set-Cookie values that start a session: the session cookie and its CSRF cookie (every login method). */
export function sessionCookies(token: string, expiresAt: Date, secure: boolean): string[] {
  return [sessionCookie(token, expiresAt, secure), csrfCookie(token, expiresAt, secure)];
}

export function clearedSessionCookies(): string[] {
  return [clearedSessionCookie(), clearedCsrfCookie()];
}
