import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { DbError } from "./errors.ts";

/**
 * Encryption at rest of private keys (AES-256-GCM, node:crypto). A value is stored as
 * `enc:v1:<keyId>:<iv>:<tag>:<ciphertext>` (base64url parts); keyId is the first 8 hex
 * digits of sha256(key), so after a key rotation each value names the key that opens it.
 * The current key encrypts; previous keys only decrypt (until `reencryptSecrets` has
 * rewritten every value under the current key).
 */
export type TSecretBox = {
  readonly keyId: string;
  encrypt(plain: string): string;
  decrypt(stored: string): string;
  /** True when the value is not (yet) encrypted under the current key. */
  isStale(stored: string): boolean;
};

const PREFIX = "enc:v1:";

export class SecretKeyError extends DbError {
  constructor(message: string) {
    super("SWY_ERR_SECRET_KEY", 500, message);
    this.name = "SecretKeyError";
  }
}

/**
 * A 32-byte key from its text form: 64 hex digits or base64/base64url of 32 bytes.
 * Anything else is refused, naming the variable, so a typo cannot become a weak key.
 */
export function parseSecretKey(text: string, name = "SWITCHYARD_SECRET_KEY"): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, "hex") : Buffer.from(t, "base64");
  if (key.length !== 32) throw new SecretKeyError(`${name}: must be 32 bytes as 64 hex digits or base64 (got ${key.length} bytes)`);
  return key;
}

export function generateSecretKey(): string {
  return randomBytes(32).toString("base64");
}

export function keyIdOf(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 8);
}

export function createSecretBox(current: Buffer, previous: readonly Buffer[] = []): TSecretBox {
  const keys = new Map<string, Buffer>();
  for (const k of previous) keys.set(keyIdOf(k), k);
  const keyId = keyIdOf(current);
  keys.set(keyId, current);
  return {
    keyId,
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", current, iv);
      // The key id is authenticated data: a value cannot be moved under another key id.
      cipher.setAAD(Buffer.from(keyId));
      const data = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return `${PREFIX}${keyId}:${b64(iv)}:${b64(cipher.getAuthTag())}:${b64(data)}`;
    },
    decrypt(stored) {
      if (!isEncrypted(stored)) return stored;
      const [id, iv, tag, data] = stored.slice(PREFIX.length).split(":");
      const key = id ? keys.get(id) : undefined;
      if (!key || !iv || !tag || data === undefined) {
        throw new SecretKeyError(`a private key is encrypted with key ${id ?? "?"}, which is neither SWITCHYARD_SECRET_KEY nor one of SWITCHYARD_SECRET_KEY_PREVIOUS`);
      }
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
        decipher.setAAD(Buffer.from(id!));
        decipher.setAuthTag(Buffer.from(tag, "base64url"));
        return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
      } catch {
        throw new SecretKeyError(`a private key encrypted with key ${id} failed authentication (tampered or wrong key)`);
      }
    },
    isStale(stored) {
      return !stored.startsWith(`${PREFIX}${keyId}:`);
    },
  };
}

export function isEncrypted(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

/** Encrypts with `box`, refusing to store a private key when no key is configured. */
export function sealPrivateKey(box: TSecretBox | null, plain: string): string {
  if (!box) throw new SecretKeyError("SWITCHYARD_SECRET_KEY is not configured: private keys and wasm modules cannot be stored");
  return box.encrypt(plain);
}

export function openPrivateKey(box: TSecretBox | null, stored: string): string {
  if (!isEncrypted(stored)) return stored;
  if (!box) throw new SecretKeyError("SWITCHYARD_SECRET_KEY is not configured: stored private keys and wasm modules cannot be read");
  return box.decrypt(stored);
}

function b64(b: Buffer): string {
  return b.toString("base64url");
}
