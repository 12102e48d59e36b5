import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startEmbeddedPostgres } from "../src/embedded.ts";
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
  if (await serverRunningIn(dataDir)) {
    // Another test run on this machine owns it: use a throw-away data dir of our own.
    dataDir = path.join(REPO_ROOT, `.data/test-pg-${process.pid}`);
    temporary = true;
  }
  const lines: string[] = [];
  const server = await startEmbeddedPostgres({ dataDir, log: (l) => lines.push(l) }).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\n${lines.slice(-20).join("\n")}`);
  });
  setEmbeddedTestServerUrl(server.adminUrl);
  return async () => {
    setEmbeddedTestServerUrl(undefined);
    await server.stop();
    if (temporary) await rm(dataDir, { recursive: true, force: true });
  };
}

/** postmaster.pid names a live process: a server is running in that data dir. */
async function serverRunningIn(dataDir: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number((await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
