import { readFile } from "node:fs/promises";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { migrateDatabase } from "../src/index.ts";
import { SCHEMA_PATH } from "../src/migrations-dir.ts";
import { quoteIdent, withDatabase } from "../src/pg-url.ts";
import { testServerUrl } from "../src/testing/test-database.ts";
import { loadSchemaEngine, migrationList } from "../scripts/schema-engine.ts";

/**
 * Our migrator and Prisma's own schema engine (the WASM build, the same logic as
 * `prisma migrate deploy`) must agree on the migration history, and the committed
 * migrations must produce exactly what schema.prisma describes.
 */
const created: string[] = [];
async function bareDatabase(): Promise<string> {
  const name = `swy_test_compat_${Date.now().toString(36)}_${Math.random().toString(16).slice(2, 8)}`;
  await admin(`CREATE DATABASE ${quoteIdent(name)}`);
  created.push(name);
  return withDatabase(testServerUrl(), name);
}
async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: testServerUrl() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
afterAll(async () => {
  for (const name of created) await admin(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
});

const filters = { externalTables: [], externalEnums: [] };

describe("compatibility with Prisma's schema engine", () => {
  it("sees a database migrated by migrateDatabase as up to date", async () => {
    const url = await bareDatabase();
    await migrateDatabase(url);
    const engine = await loadSchemaEngine(url);
    try {
      const list = await migrationList();
      const diagnosis = await engine.diagnoseMigrationHistory({ migrationsList: list, optInToShadowDatabase: false, filters });
      expect(diagnosis).toMatchObject({ editedMigrationNames: [], failedMigrationNames: [], hasMigrationsTable: true, history: null });
      expect((await engine.applyMigrations({ migrationsList: list, filters })).appliedMigrationNames).toEqual([]);
    } finally {
      engine.free();
    }
  });

  it("lets migrateDatabase take over a database Prisma migrated", async () => {
    const url = await bareDatabase();
    const engine = await loadSchemaEngine(url);
    try {
      const applied = await engine.applyMigrations({ migrationsList: await migrationList(), filters });
      expect(applied.appliedMigrationNames.length).toBeGreaterThan(0);
    } finally {
      engine.free();
    }
    const lines: string[] = [];
    await migrateDatabase(url, { log: (l) => lines.push(l) });
    expect(lines).toEqual(["database is up to date"]);
  });

  it("has no schema.prisma change missing from the committed migrations", async () => {
    const url = await bareDatabase();
    const engine = await loadSchemaEngine(url);
    try {
      const result = await engine.diff({
        from: { tag: "migrations", ...(await migrationList()) },
        to: { tag: "schemaDatamodel", files: [{ path: SCHEMA_PATH, content: await readFile(SCHEMA_PATH, "utf8") }] },
        script: false,
        exitCode: true,
        filters,
      });
      // exitCode 2 = non-empty diff: run `npm run -w @switchyard/db migrate:dev -- --name <change>`.
      expect(result.exitCode, result.stdout ?? "").toBe(0);
    } finally {
      engine.free();
    }
  });
});
