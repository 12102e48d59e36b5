import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/**
 * Last-known-good cache: each applied snapshot is written to `<cacheDir>/snapshot.json`
 * so a node can boot and serve while the control plane is unreachable. Written to a temp
 * file and renamed, so a crash mid-write never leaves a torn snapshot behind.
 */
export const CACHE_FILE = "snapshot.json";

export const ZCachedSnapshot = z.object({
  version: z.number().int().min(0).nullable(),
  hash: z.string().min(1),
  /** Re-validated by applyConfig at boot, like any other input. */
  config: z.unknown(),
  appliedAt: z.string().optional(),
  source: z.string().optional(),
});
export type TCachedSnapshot = z.infer<typeof ZCachedSnapshot>;

export async function writeCachedSnapshot(cacheDir: string, snapshot: TCachedSnapshot): Promise<void> {
  await mkdir(cacheDir, { recursive: true });
  const target = join(cacheDir, CACHE_FILE);
  // Random: replicas sharing one cache dir (a group's, in containers where every pid is 1) write at once.
  const temp = `${target}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  // 0600: the snapshot holds secrets (private keys) in clear.
  await writeFile(temp, JSON.stringify(snapshot), { mode: 0o600 });
  await rename(temp, target);
}

/** The cached snapshot, or null when there is none; throws when the file exists but is unreadable or malformed. */
export async function readCachedSnapshot(cacheDir: string): Promise<TCachedSnapshot | null> {
  let text: string;
  try {
    text = await readFile(join(cacheDir, CACHE_FILE), "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return null;
    throw err;
  }
  const parsed = ZCachedSnapshot.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new Error(`cached snapshot ${join(cacheDir, CACHE_FILE)} is malformed: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}
