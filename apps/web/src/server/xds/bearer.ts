import { createHash, timingSafeEqual } from "node:crypto";

/**
 * True when an `Authorization` header carries `Bearer <expected>`. Both sides are hashed
 * first so the comparison is constant-time and does not leak the token's length.
 */
export function bearerTokenMatches(header: string | string[] | undefined, expected: string): boolean {
  const token = bearerToken(header);
  if (token === null || expected === "") return false;
  const a = createHash("sha256").update(token).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token of a `Bearer` Authorization header, or null when absent or another scheme. */
export function bearerToken(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value);
  return m?.[1] ?? null;
}
