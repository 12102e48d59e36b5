import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/**
 * Last-known-good cache: each applied snapshot is written to `<dir>/snapshot.json` so a
 * node can boot and serve while the control plane is unreachable. Written to a temp file
 * and renamed, so a crash mid-write never leaves a torn snapshot behind.
 *
 * A snapshot holds TLS private keys. In managed mode with a node token, the file is
 * encrypted (AES-256-GCM) with a key derived from the token (HKDF-SHA256, bound to the node
 * id): a copied cache file or volume is useless without the token. Without a token it is
 * plain JSON, and a secret to protect: the directory is created 0700, the file 0600, and a
 * file found readable by others at start is narrowed to 0600 (and logged) before use.
 */
export const CACHE_FILE = "snapshot.json";
const ENCRYPTED_FORMAT = "switchyard-snapshot-cache/aes-256-gcm/v1";

export const ZCachedSnapshot = z.object({
  version: z.number().int().min(0).nullable(),
  hash: z.string().min(1),
  /** Re-validated by applyConfig at boot, like any other input. */
  config: z.unknown(),
  appliedAt: z.string().optional(),
  source: z.string().optional(),
});
export type TCachedSnapshot = z.infer<typeof ZCachedSnapshot>;

const ZEncrypted = z.object({ format: z.literal(ENCRYPTED_FORMAT), iv: z.string(), tag: z.string(), data: z.string() });

/** Where the cache lives and the key that seals it (null: plain JSON, mode 0600). */
export type TSnapshotCache = { readonly dir: string; readonly key: Buffer | null };

/**
 * The proxy's cache (null: none configured), sealed with a key derived from the node token
 * when managed with one. The key depends on the token alone, not the node id: replicas of
 * a group share one cache directory, and a replica recreated under a new id (a container's
 * new hostname) must open what its predecessor wrote to serve while the console is down.
 */
export function cacheOf(o: { cacheDir: string | null } & ({ mode: "standalone" } | { mode: "managed"; token: string | null })): TSnapshotCache | null {
  if (!o.cacheDir) return null;
  return { dir: o.cacheDir, key: o.mode === "managed" && o.token ? cacheKey(o.token) : null };
}

export function cacheKey(token: string): Buffer {
  return Buffer.from(hkdfSync("sha256", token, "switchyard proxy snapshot cache", "snapshot cache v1", 32));
}

export async function writeCachedSnapshot(cache: TSnapshotCache, snapshot: TCachedSnapshot): Promise<void> {
  await mkdir(cache.dir, { recursive: true, mode: 0o700 });
  const target = join(cache.dir, CACHE_FILE);
  // Random: replicas sharing one cache dir (a group's, in containers where every pid is 1) write at once.
  const temp = `${target}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temp, cache.key ? seal(cache.key, JSON.stringify(snapshot)) : JSON.stringify(snapshot), { mode: 0o600 });
  await rename(temp, target);
}

export type TCacheWarning = { event: "config_cache_mode_narrowed"; file: string; mode: string };

/**
 * The cached snapshot, or null when there is none; throws when the file exists but is
 * unreadable, malformed, or sealed with another token. `warn` hears about a file whose
 * mode let others read it (narrowed to 0600 here).
 */
export async function readCachedSnapshot(cache: TSnapshotCache, warn: (w: TCacheWarning) => void = () => undefined): Promise<TCachedSnapshot | null> {
  const file = join(cache.dir, CACHE_FILE);
  let text: string;
  try {
    const mode = (await stat(file)).mode & 0o777;
    if (mode & 0o077) {
      await chmod(file, 0o600);
      warn({ event: "config_cache_mode_narrowed", file, mode: mode.toString(8) });
    }
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return null;
    throw err;
  }
  const json: unknown = JSON.parse(text);
  const sealed = ZEncrypted.safeParse(json);
  let plain: unknown = json;
  if (sealed.success) {
    if (!cache.key) throw new Error(`cached snapshot ${file} is encrypted with a node token: start the proxy with the same --token`);
    plain = JSON.parse(open(cache.key, sealed.data, file));
  }
  const parsed = ZCachedSnapshot.safeParse(plain);
  if (!parsed.success) {
    throw new Error(`cached snapshot ${file} is malformed: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}

function seal(key: Buffer, text: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const data = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
  return JSON.stringify({ format: ENCRYPTED_FORMAT, iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), data: data.toString("base64") });
}

function open(key: Buffer, sealed: z.infer<typeof ZEncrypted>, file: string): string {
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv, "base64"));
    decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, "base64")), decipher.final()]).toString("utf8");
  } catch {
    throw new Error(`cached snapshot ${file} does not open with this node's token (a different --token or --node-id wrote it)`);
  }
}
