import { rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { runningServerPid, startEmbeddedPostgres } from "../src/embedded.ts";
import { quoteIdent } from "../src/pg-url.ts";
import { configuredDatabaseUrl, embeddedTestServerUrl, setEmbeddedTestServerUrl } from "../src/testing/env.ts";

/**
 * vitest globalSetup: when DATABASE_URL is unset, starts one embedded PostgreSQL for the
 * whole run under .data/test-pg (initialised once, reused by later runs) and exports its
 * admin URL as SWITCHYARD_TEST_PG_URL, which the workers (started after this) inherit
 * and createTestDatabase() reads. Root vitest.config.ts:
 *   test: { globalSetup: ["packages/db/test/global-setup.ts"] }
 */
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (configuredDatabaseUrl() || embeddedTestServerUrl()) return undefined;

  let dataDir = path.join(REPO_ROOT, ".data/test-pg");
  let temporary = false;
  if ((await runningServerPid(dataDir)) !== null) {
    // Another test run on this machine owns it: use a throw-away data dir of our own.
    dataDir = path.join(REPO_ROOT, `.data/test-pg-${process.pid}`);
    temporary = true;
  }
  const lines: string[] = [];
  const start = (dir: string) =>
    startEmbeddedPostgres({ dataDir: dir, log: (l) => lines.push(l) }).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${lines.slice(-20).join("\n")}`);
    });
  let server;
  try {
    server = await start(dataDir);
  } catch (err) {
    if (temporary) throw err;
    // Lost a race with another run starting in the same data dir at the same moment.
    dataDir = path.join(REPO_ROOT, `.data/test-pg-${process.pid}`);
    temporary = true;
    server = await start(dataDir);
  }
  await dropLeftoverTestDatabases(server.adminUrl);
  setEmbeddedTestServerUrl(server.adminUrl);
  return async () => {
    setEmbeddedTestServerUrl(undefined);
    await server.stop();
    // server.dataDir differs from dataDir when the data had to live elsewhere (root, private checkout).
    if (temporary) for (const dir of new Set([server.dataDir, dataDir, `${dataDir}.password`])) await rm(dir, { recursive: true, force: true });
  };
}

/**
 * Test databases of earlier runs that died before drop(): safe to remove here, since this
 * server belongs to this run alone. (Never done on a DATABASE_URL server, which other
 * runs may be using at this moment.)
 */
async function dropLeftoverTestDatabases(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'swy\\_test\\_%'");
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
