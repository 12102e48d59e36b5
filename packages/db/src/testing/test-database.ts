import { randomBytes } from "node:crypto";
import pg from "pg";
import { createDb, type Db } from "../client.ts";
import { migrateDatabase } from "../migrate.ts";
import { createSecretBox, parseSecretKey } from "../secret-box.ts";
import { quoteIdent, withDatabase } from "../pg-url.ts";
import { configuredDatabaseUrl, embeddedTestServerUrl } from "./env.ts";

/**
 * The SWITCHYARD_SECRET_KEY of test databases: tests that start a console process on a
 * test database pass it too, so both sides read each other's private keys.
 */
export const TEST_SECRET_KEY = "0000000000000000000000000000000000000000000000000000000000005eed";

export type TTestDatabase = { url: string; db: Db; drop(): Promise<void> };

/**
 * A fresh, migrated, uniquely named database for one test file (or test), on the server
 * of DATABASE_URL when set, else on the embedded PostgreSQL of the vitest global setup
 * (packages/db/test/global-setup.ts). `drop()` closes `db` and drops the database.
 */
export async function createTestDatabase(): Promise<TTestDatabase> {
  const serverUrl = testServerUrl();
  const name = `swy_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await admin(serverUrl, `CREATE DATABASE ${quoteIdent(name)}`);
  const url = withDatabase(serverUrl, name);
  try {
    await migrateDatabase(url);
  } catch (err) {
    await admin(serverUrl, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`).catch(() => {});
    throw err;
  }
  const db = createDb(url, { maxConnections: 4, secrets: createSecretBox(parseSecretKey(TEST_SECRET_KEY)) });
  let dropped: Promise<void> | undefined;
  return {
    url,
    db,
    drop: () =>
      (dropped ??= (async () => {
        await db.close();
        // FORCE: a LISTEN client or a pool a test forgot to close must not keep it alive.
        await admin(serverUrl, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      })()),
  };
}

/** The server test databases are created on (an admin URL: any database of it). */
export function testServerUrl(): string {
  const url = configuredDatabaseUrl() ?? embeddedTestServerUrl();
  if (!url) {
    throw new Error(
      "no PostgreSQL for tests: set DATABASE_URL, or run vitest with packages/db/test/global-setup.ts in globalSetup " +
        "(it starts an embedded PostgreSQL under .data/test-pg)",
    );
  }
  return url;
}

async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
