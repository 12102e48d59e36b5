import { access, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createDb, getWorkingConfig, migrateDatabase, startEmbeddedPostgres } from "../src/index.ts";
import { configuredDatabaseUrl } from "../src/testing/env.ts";

const dataDir = fileURLToPath(new URL(`../../../.data/test-embedded-${process.pid}`, import.meta.url));

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function query(url: string, text: string): Promise<pg.QueryResultRow[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}

// Only where the embedded server is what the console would use: DATABASE_URL unset.
describe.skipIf(configuredDatabaseUrl() !== undefined)("startEmbeddedPostgres", () => {
  it("initialises a data dir once, serves database switchyard, and keeps data across restarts", { timeout: 120_000 }, async () => {
    const first = await startEmbeddedPostgres({ dataDir });
    try {
      expect(first.url).toMatch(/^postgresql:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/switchyard$/);
      await access(path.join(dataDir, "PG_VERSION"));
      await migrateDatabase(first.url);
      const db = createDb(first.url);
      try {
        expect((await getWorkingConfig(db)).revision).toBe(0);
      } finally {
        await db.close();
      }
      await query(first.url, "CREATE TABLE survives (n int); INSERT INTO survives VALUES (42)");
    } finally {
      await first.stop();
    }
    await expect(query(first.url, "SELECT 1")).rejects.toThrow();

    const lines: string[] = [];
    const second = await startEmbeddedPostgres({ dataDir, log: (l) => lines.push(l) });
    try {
      expect(lines.some((l) => l.startsWith("initialising"))).toBe(false);
      expect(await query(second.url, "SELECT n FROM survives")).toEqual([{ n: 42 }]);
    } finally {
      await second.stop();
    }
  });
});
