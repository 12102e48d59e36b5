import * as crypto from "node:crypto";
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";

/**
 * Password hashes of console users. New hashes are argon2id with OWASP's first recommended
 * parameters (m=46 MiB, t=1, p=1; Password Storage Cheat Sheet), stored in the PHC string
 * format `$argon2id$v=19$m=47104,t=1,p=1$<salt>$<hash>`. Node ships argon2 from 24.7; on an
 * older Node the fallback is scrypt at OWASP's equivalent N=2^17, r=8, p=1 (128 MiB),
 * stored as `scrypt$N$r$p$salt$hash`. Every stored hash carries its own parameters, so a
 * hash made with weaker ones (the scrypt N=2^15 of earlier releases) still verifies, and
 * `needsRehash` tells the login to replace it while it holds the password.
 */
export const ARGON2ID = { memory: 47_104, passes: 1, parallelism: 1 } as const;
export const SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_BYTES = 16;

type TArgon2Params = { message: string; nonce: Buffer; parallelism: number; tagLength: number; memory: number; passes: number };
type TArgon2 = (algorithm: "argon2id", params: TArgon2Params, callback: (err: Error | null, key: Buffer) => void) => void;
/** node:crypto's argon2 (Node >= 24.7), or undefined on an older Node. */
const nodeArgon2 = (crypto as unknown as { argon2?: TArgon2 }).argon2;

function argon2id(password: string, salt: Buffer, params: { memory: number; passes: number; parallelism: number }, keylen: number): Promise<Buffer> {
  const argon2 = nodeArgon2;
  if (!argon2) return Promise.reject(new Error("argon2id needs Node >= 24.7"));
  return new Promise((resolve, reject) =>
    argon2("argon2id", { message: password, nonce: salt, tagLength: keylen, ...params }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    // 128 * N * r bytes: 128 MiB at N=2^17; maxmem leaves room for it.
    scryptCb(password, salt, keylen, { ...opts, maxmem: 256 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const b64 = (b: Buffer) => b.toString("base64").replace(/=+$/, "");

/** A new hash of `password` with the current scheme and parameters. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  if (nodeArgon2) {
    const hash = await argon2id(password, salt, ARGON2ID, KEY_LENGTH);
    return `$argon2id$v=19$m=${ARGON2ID.memory},t=${ARGON2ID.passes},p=${ARGON2ID.parallelism}$${b64(salt)}$${b64(hash)}`;
  }
  const hash = await scrypt(password, salt, KEY_LENGTH, SCRYPT);
  return ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString("base64"), hash.toString("base64")].join("$");
}

type TParsed =
  | { scheme: "argon2id"; memory: number; passes: number; parallelism: number; salt: Buffer; hash: Buffer }
  | { scheme: "scrypt"; N: number; r: number; p: number; salt: Buffer; hash: Buffer };

function parse(stored: string): TParsed | null {
  const argon = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored);
  if (argon) {
    const [memory, passes, parallelism] = [argon[1], argon[2], argon[3]].map(Number) as [number, number, number];
    const hash = Buffer.from(argon[5] as string, "base64");
    if (!memory || !passes || !parallelism || !hash.length) return null;
    return { scheme: "argon2id", memory, passes, parallelism, salt: Buffer.from(argon[4] as string, "base64"), hash };
  }
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const hash = Buffer.from(parts[5] ?? "", "base64");
  if (!N || !r || !p || !hash.length) return null;
  return { scheme: "scrypt", N, r, p, salt: Buffer.from(parts[4] ?? "", "base64"), hash };
}

/** Constant-time check of a password against a stored hash of either scheme; false for malformed hashes. */
export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const actual =
    parsed.scheme === "argon2id"
      ? nodeArgon2
        ? await argon2id(password, parsed.salt, parsed, parsed.hash.length)
        : null
      : await scrypt(password, parsed.salt, parsed.hash.length, { N: parsed.N, r: parsed.r, p: parsed.p });
  return actual !== null && timingSafeEqual(actual, parsed.hash);
}

/** True when `stored` was made with another scheme or weaker parameters than hashPassword uses now. */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  if (!parsed) return true;
  if (nodeArgon2) {
    return parsed.scheme !== "argon2id" || parsed.memory < ARGON2ID.memory || parsed.passes < ARGON2ID.passes || parsed.parallelism < ARGON2ID.parallelism;
  }
  return parsed.scheme === "scrypt" && parsed.N < SCRYPT.N;
}
