/**
 * Issue #20 item 7: the embedded PostgreSQL (`npm start` without DATABASE_URL) had the
 * fixed superuser password "switchyard": any local user could log in to it. Now a password
 * is generated on first start and kept beside the data directory (mode 0600); a data
 * directory made with the fixed one gets a generated one at its next start.
 */
import { mkdtemp, readFile, rm, stat, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres } from "@switchyard/db";
import { configuredDatabaseUrl } from "../../packages/db/src/testing/env.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "switchyard-embedded-pw-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function canLogIn(port: string, password: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: `postgresql://postgres:${password}@127.0.0.1:${port}/postgres` });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

describe.skipIf(configuredDatabaseUrl() !== undefined)("the embedded PostgreSQL superuser password", () => {
  it("is generated on first start, kept 0600 beside the data, reused, and the fixed one no longer works", { timeout: 180_000 }, async () => {
    const dataDir = join(dir, "postgres");
    const first = await startEmbeddedPostgres({ dataDir });
    const file = `${dataDir}.password`;
    let password: string;
    try {
      password = (await readFile(file, "utf8")).trim();
      expect(password).not.toBe("switchyard");
      expect(password.length).toBeGreaterThanOrEqual(32);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const port = new URL(first.url).port;
      expect(decodeURIComponent(new URL(first.url).password)).toBe(password);
      expect(await canLogIn(port, password)).toBe(true);
      expect(await canLogIn(port, "switchyard")).toBe(false);
    } finally {
      await first.stop();
    }
    const again = await startEmbeddedPostgres({ dataDir });
    try {
      expect(decodeURIComponent(new URL(again.url).password)).toBe(password);
      // A data directory from before: the fixed password, no file.
      const c = new pg.Client({ connectionString: again.adminUrl });
      await c.connect();
      await c.query("ALTER USER postgres PASSWORD 'switchyard'");
      await c.end();
    } finally {
      await again.stop();
    }
    await unlink(file);
    const upgraded = await startEmbeddedPostgres({ dataDir });
    try {
      const port = new URL(upgraded.url).port;
      const kept = (await readFile(file, "utf8")).trim();
      expect(kept).not.toBe("switchyard");
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await canLogIn(port, kept)).toBe(true);
      expect(await canLogIn(port, "switchyard")).toBe(false);
    } finally {
      await upgraded.stop();
    }
  });
});
