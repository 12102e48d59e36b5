import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase, MigrationError } from "../src/index.ts";
import { readMigrations } from "../src/migrations-dir.ts";
import { quoteIdent, withDatabase } from "../src/pg-url.ts";
import { testServerUrl } from "../src/testing/test-database.ts";

/** A bare (unmigrated) database per test. */
const created: string[] = [];
async function bareDatabase(): Promise<string> {
  const name = `swy_test_mig_${Date.now().toString(36)}_${Math.random().toString(16).slice(2, 8)}`;
  await sql(testServerUrl(), `CREATE DATABASE ${quoteIdent(name)}`);
  created.push(name);
  return withDatabase(testServerUrl(), name);
}

async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "swy-mig-"));
});
afterAll(async () => {
  for (const name of created) await sql(testServerUrl(), `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  await rm(tmp, { recursive: true, force: true });
});

describe("migrateDatabase", () => {
  it("applies the committed migrations once, recorded the way Prisma records them", async () => {
    const url = await bareDatabase();
    const lines: string[] = [];
    await migrateDatabase(url, { log: (l) => lines.push(l) });
    const committed = await readMigrations();
    expect(committed.length).toBeGreaterThan(0);
    expect(lines).toContain(`applying migration ${committed[0]!.name}`);

    const rows = await sql<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
      url,
      `SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows.map((r) => r.migration_name)).toEqual(committed.map((m) => m.name));
    expect(rows[0]?.checksum).toBe(createHash("sha256").update(committed[0]!.sql).digest("hex"));
    expect(rows.every((r) => r.finished_at !== null && r.applied_steps_count === 1)).toBe(true);
    const tables = (await sql<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).map((r) => r.tablename);
    for (const t of ["Listener", "Route", "ConfigVersion", "Node", "AuditLog", "User", "Session", "WorkingConfigMeta"]) expect(tables).toContain(t);

    // Idempotent: a second run applies nothing.
    const again: string[] = [];
    await migrateDatabase(url, { log: (l) => again.push(l) });
    expect(again).toEqual(["database is up to date"]);
    expect(await sql(url, `SELECT 1 FROM "_prisma_migrations"`)).toHaveLength(committed.length);
  });

  it("is safe when two processes migrate the same database at once", async () => {
    const url = await bareDatabase();
    await Promise.all([migrateDatabase(url), migrateDatabase(url), migrateDatabase(url)]);
    const rows = await sql(url, `SELECT migration_name FROM "_prisma_migrations"`);
    expect(rows).toHaveLength((await readMigrations()).length);
  });

  it("rolls a failing migration back entirely and says which one failed", async () => {
    const dir = path.join(tmp, "failing");
    await mkdir(path.join(dir, "20200101000000_ok"), { recursive: true });
    await writeFile(path.join(dir, "20200101000000_ok", "migration.sql"), `CREATE TABLE "A" (id INT);`);
    await mkdir(path.join(dir, "20200102000000_bad"), { recursive: true });
    await writeFile(path.join(dir, "20200102000000_bad", "migration.sql"), `CREATE TABLE "B" (id INT);\nSELECT nope FROM nowhere;`);
    const url = await bareDatabase();
    await expect(migrateDatabase(url, { migrationsDir: dir })).rejects.toSatisfy(
      (err) => err instanceof MigrationError && err.message.includes("20200102000000_bad") && err.message.includes("nowhere"),
    );
    const tables = (await sql<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).map((r) => r.tablename);
    expect(tables).toContain("A");
    expect(tables).not.toContain("B");
    expect((await sql<{ migration_name: string }>(url, `SELECT migration_name FROM "_prisma_migrations"`)).map((r) => r.migration_name)).toEqual([
      "20200101000000_ok",
    ]);

    // Fixed, it applies on the next run.
    await writeFile(path.join(dir, "20200102000000_bad", "migration.sql"), `CREATE TABLE "B" (id INT);`);
    await migrateDatabase(url, { migrationsDir: dir });
    expect(await sql(url, `SELECT 1 FROM "_prisma_migrations"`)).toHaveLength(2);
  });

  it("refuses to go on past a migration Prisma left failed", async () => {
    const url = await bareDatabase();
    await migrateDatabase(url);
    await sql(url, `INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ('x', 'y', '29990101000000_half')`);
    await expect(migrateDatabase(url)).rejects.toThrow(/29990101000000_half failed earlier/);
  });
});
