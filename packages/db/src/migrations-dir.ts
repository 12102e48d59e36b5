import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** prisma/migrations at the repo root: the one migration history, shared with `prisma migrate deploy`. */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../../../prisma/migrations/", import.meta.url));
export const SCHEMA_PATH = fileURLToPath(new URL("../../../prisma/schema.prisma", import.meta.url));

export type TMigrationFile = { name: string; sql: string };

/**
 * The committed migrations in the order Prisma applies them (directory names start with
 * a UTC timestamp, so lexical order is time order).
 */
export async function readMigrations(dir: string = MIGRATIONS_DIR): Promise<TMigrationFile[]> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const out: TMigrationFile[] = [];
  for (const name of entries.sort()) {
    try {
      out.push({ name, sql: await readFile(path.join(dir, name, "migration.sql"), "utf8") });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // Prisma skips folders without a script too
      throw err;
    }
  }
  return out;
}
