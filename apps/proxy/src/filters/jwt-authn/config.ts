import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey } from "jose";
import type { TJwtAuthnFilter } from "@switchyard/config-model";

/**
 * jwtAuthn config compiled once per version. Remote JWKS sets are shared across
 * versions by (url, cacheDurationMs), so a config publish does not refetch the keys:
 * jose caches the document for cacheDurationMs (default 300000), refetches after it, and
 * refetches early (at most every 30 s) when a token names an unknown `kid` (key rotation).
 */
export type TJwtConfig = {
  readonly issuer: string;
  /** Empty = audience not checked. */
  readonly audiences: readonly string[];
  readonly keys: JWTVerifyGetKey;
  readonly forward: boolean;
  readonly claimToHeaders: readonly { readonly claim: string; readonly header: string }[];
  readonly allowMissing: boolean;
};

/** Fetch of a JWKS URL gives up after this long (the request then gets 401). */
const JWKS_FETCH_TIMEOUT_MS = 5_000;
/** Unknown-kid refetches of one JWKS URL happen at most this often. */
const JWKS_COOLDOWN_MS = 30_000;

const remoteSets = new Map<string, JWTVerifyGetKey>();

export function compileJwtAuthn(f: TJwtAuthnFilter): TJwtConfig {
  let keys: JWTVerifyGetKey;
  if (f.jwks.inline !== undefined) {
    keys = createLocalJWKSet(JSON.parse(f.jwks.inline) as Parameters<typeof createLocalJWKSet>[0]);
  } else {
    const remote = f.jwks.remote as { url: string; cacheDurationMs: number };
    const key = `${remote.url}|${remote.cacheDurationMs}`;
    let set = remoteSets.get(key);
    if (!set) {
      set = createRemoteJWKSet(new URL(remote.url), {
        cacheMaxAge: remote.cacheDurationMs,
        cooldownDuration: Math.min(JWKS_COOLDOWN_MS, remote.cacheDurationMs),
        timeoutDuration: JWKS_FETCH_TIMEOUT_MS,
      });
      remoteSets.set(key, set);
    }
    keys = set;
  }
  return Object.freeze({
    issuer: f.issuer,
    audiences: f.audiences,
    keys,
    forward: f.forward,
    claimToHeaders: f.claimToHeaders.map((c) => ({ claim: c.claim, header: c.header.toLowerCase() })),
    allowMissing: f.allowMissing,
  });
}
