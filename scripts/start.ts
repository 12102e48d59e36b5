/**
 * `npm start` (after scripts/start.mjs checked the Node version): the whole platform on
 * one machine, in one command.
 *
 *  1. Every port it needs is checked up front; a problem names the variable that moves it.
 *  2. PostgreSQL: DATABASE_URL when set, else an embedded server under .data/postgres
 *     (as root, where the `postgres` user can reach it: see @switchyard/db embedded.ts).
 *  3. Migrations, then the demo config as version 1 (only on an empty database).
 *  4. `npm run build` when a compiled build is missing or older than its sources.
 *  5. Two demo upstream services, the console (PORT, default 3000) and one proxy node
 *     (listener 8080, admin 9901), compiled JavaScript, connected over the control plane.
 *  6. Ctrl-C, and every failure on the way, goes through one orderly stop: children in
 *     reverse order, then the embedded database.
 *
 * Flags: --dev (everything from the TypeScript sources, the console in Next's dev mode; no build).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { demoConfig } from "@switchyard/demo/config";
import {
  createDb,
  createNodeToken,
  createSecretBox,
  generateSecretKey,
  getLatestVersion,
  hashToken,
  migrateDatabase,
  parseSecretKey,
  runningServerPid,
  seedDemoConfig,
  startEmbeddedPostgres,
  stopServerByPid,
  type Db,
} from "@switchyard/db";
import { staleBuilds } from "./lib/build.ts";
import { startChild, tag, type Child } from "./lib/children.ts";
import { checkPorts, type TPortNeed } from "./lib/ports.ts";
import { proxyReadiness } from "./lib/proxy-readiness.ts";
import { waitForHttp } from "./lib/wait.ts";

const root = resolve(import.meta.dirname, "..");
const dataDir = join(root, ".data");
const SOURCE_CONDITION = "--conditions=@switchyard/source";
const PROXY_READY_TIMEOUT_MS = 30_000;

const say = (line: string) => console.log(`${tag("switchyard", 36)}${line}`);

class StartError extends Error {}

function readFlags(): { dev: boolean } {
  try {
    return parseArgs({ options: { dev: { type: "boolean", default: false } } }).values as { dev: boolean };
  } catch (err) {
    console.error(`npm start: ${(err as Error).message} (the only flag is --dev: npm start -- --dev)`);
    process.exit(2);
  }
}

function readEnv() {
  const bad: string[] = [];
  const port = (name: string, fallback: number): number => {
    const raw = process.env[name];
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 65535) bad.push(`${name}: must be a port number from 1 to 65535, got "${raw}"`);
    return n;
  };
  const env = {
    databaseUrl: process.env.DATABASE_URL || undefined,
    consoleHost: process.env.HOST || "0.0.0.0",
    consolePort: port("PORT", 3000),
    proxyPort: port("SWITCHYARD_DEMO_LISTENER_PORT", 8080),
    adminPort: port("SWITCHYARD_DEMO_ADMIN_PORT", 9901),
    usersPort: port("SWITCHYARD_DEMO_USERS_PORT", 9101),
    ordersPort: port("SWITCHYARD_DEMO_ORDERS_PORT", 9102),
    embeddedPgPort: port("SWITCHYARD_EMBEDDED_PG_PORT", 54329),
  };
  if (process.env.SWITCHYARD_SECRET_KEY) {
    try {
      parseSecretKey(process.env.SWITCHYARD_SECRET_KEY);
    } catch (err) {
      bad.push((err as Error).message);
    }
  }
  if (bad.length) {
    console.error(bad.join("\n"));
    process.exit(2);
  }
  return env;
}

const flags = readFlags();
const env = readEnv();

type Credentials = { adminEmail: string; adminPassword: string; apiToken: string; nodeToken: string };

/** Generated once and kept under .data/ so the login stays the same across restarts. */
function loadCredentials(): Credentials {
  const file = join(dataDir, "credentials.json");
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Partial<Credentials>) : {};
  const creds: Credentials = {
    adminEmail: stored.adminEmail ?? process.env.SWITCHYARD_ADMIN_EMAIL ?? "admin@switchyard.local",
    adminPassword: stored.adminPassword ?? process.env.SWITCHYARD_ADMIN_PASSWORD ?? randomBytes(9).toString("base64url"),
    apiToken: stored.apiToken ?? process.env.SWITCHYARD_API_TOKEN ?? `swy_${randomBytes(24).toString("base64url")}`,
    // The demo node's token (group "default"); files from before node tokens get one added.
    nodeToken: stored.nodeToken ?? process.env.SWITCHYARD_NODE_TOKEN ?? `swy_node_${randomBytes(32).toString("base64url")}`,
  };
  if (JSON.stringify(stored) !== JSON.stringify(creds)) writeFileSync(file, JSON.stringify(creds, null, 2) + "\n", { mode: 0o600 });
  return creds;
}

/**
 * SWITCHYARD_SECRET_KEY seals private keys at rest. Without one, npm start generates a
 * key once under .data/secret-key (mode 0600) and says so; production consoles refuse
 * to start without one (apps/web/src/env.ts).
 */
function loadSecretKey(): string {
  if (process.env.SWITCHYARD_SECRET_KEY) return process.env.SWITCHYARD_SECRET_KEY;
  const file = join(dataDir, "secret-key");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const key = generateSecretKey();
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  say(`generated SWITCHYARD_SECRET_KEY once under .data/secret-key (it encrypts TLS private keys at rest; set the variable yourself in production)`);
  return key;
}

/** The demo node's token must be a node token of its group in the database (nodes without one are refused). */
async function ensureDemoNodeToken(db: Db, token: string): Promise<void> {
  const row = await db.prisma.nodeToken.findUnique({ where: { tokenHash: hashToken(token) } });
  if (!row) {
    await createNodeToken(db, { name: "demo node (npm start)", group: "default", actor: "npm start", token });
    say("created the node token of the demo node (group default); see the console's Tokens page");
  } else if (row.revokedAt) {
    say("the demo node's token was revoked in the console: the demo node will be refused (delete nodeToken from .data/credentials.json to get a new one)");
  }
}

/** One `npm start` per checkout: its pid in .data/npm-start.pid while it runs. */
function takeLock(): () => void {
  const file = join(dataDir, "npm-start.pid");
  const holder = existsSync(file) ? Number(readFileSync(file, "utf8")) : NaN;
  if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
    throw new StartError(`npm start is already running in this checkout (pid ${holder}): stop it (Ctrl-C there, or kill ${holder}) first`);
  }
  writeFileSync(file, `${process.pid}\n`);
  return () => rmSync(file, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

// ---------------------------------------------------------------------------------------
// The run: everything started is registered here, and stop() is the only way out.

const children: Child[] = [];
let stopDatabase: (() => Promise<void>) | undefined;
let releaseLock: (() => void) | undefined;
let stopping = false;

async function stop(code: number, reason?: string): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (reason) console.error(`${tag("switchyard", 31)}${reason}`);
    say("stopping...");
    // Reverse start order: the proxy first (it keeps serving from its cache meanwhile),
    // then the console, then the upstreams, and the database last.
    for (const child of [...children].reverse()) await child.stop();
    if (stopDatabase) {
      say("stopping embedded PostgreSQL");
      await stopDatabase().catch((err: unknown) => say(`embedded PostgreSQL did not stop cleanly: ${String(err)}`));
    }
    releaseLock?.();
    say("stopped");
    process.exit(code);
  }
  // A second call (a child exiting while we stop it) waits for the first to exit the process.
  return new Promise<never>(() => {});
}

process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
process.on("SIGHUP", () => void stop(0));
// `kill <npm's pid>` ends npm without passing the signal on (Ctrl-C reaches the whole
// process group): a launcher whose parent is gone stops everything too.
const parentAtStart = process.ppid;
setInterval(() => {
  if (process.ppid !== parentAtStart) void stop(0, "the process that started npm start went away: stopping");
}, 1_000).unref();
process.on("unhandledRejection", (err) => void stop(1, `unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));

/** A child whose exit (unasked) stops everything, naming it and its last words. */
function startService(opts: Parameters<typeof startChild>[0]): Child {
  const child: Child = startChild({
    ...opts,
    onExit: (code) => void stop(1, `${opts.name} exited (code ${code}) before it was asked to stop; its last lines:\n  ${child.lastLines().slice(-8).join("\n  ")}`),
  });
  children.push(child);
  return child;
}

/** Environment for a child: compiled code by default, the sources (and their export condition) with --dev. */
function childEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const inherited = (process.env.NODE_OPTIONS ?? "").split(/\s+/).filter((o) => o && o !== SOURCE_CONDITION);
  const nodeOptions = [...inherited, ...(flags.dev ? [SOURCE_CONDITION] : [])].join(" ");
  return { NODE_OPTIONS: nodeOptions || undefined, NEXT_TELEMETRY_DISABLED: "1", ...extra };
}

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  releaseLock = takeLock();
  const pgDir = join(dataDir, "postgres");

  // PostgreSQL left running by an earlier npm start that was killed would hold its port.
  if (!env.databaseUrl) {
    const stale = await runningServerPid(pgDir);
    if (stale !== null) {
      say(`stopping the embedded PostgreSQL an earlier npm start left running (pid ${stale})`);
      await stopServerByPid(stale);
    }
  }

  const needs: TPortNeed[] = [
    { what: "console", host: env.consoleHost, port: env.consolePort, variable: "PORT" },
    { what: "demo proxy listener", host: "0.0.0.0", port: env.proxyPort, variable: "SWITCHYARD_DEMO_LISTENER_PORT" },
    { what: "proxy admin", host: "127.0.0.1", port: env.adminPort, variable: "SWITCHYARD_DEMO_ADMIN_PORT" },
    { what: "demo users service", host: "127.0.0.1", port: env.usersPort, variable: "SWITCHYARD_DEMO_USERS_PORT" },
    { what: "demo orders service", host: "127.0.0.1", port: env.ordersPort, variable: "SWITCHYARD_DEMO_ORDERS_PORT" },
    ...(env.databaseUrl ? [] : [{ what: "embedded PostgreSQL", host: "127.0.0.1", port: env.embeddedPgPort, variable: "SWITCHYARD_EMBEDDED_PG_PORT" }]),
  ];
  const portProblems = await checkPorts(needs);
  if (portProblems.length) throw new StartError(`cannot start:\n  ${portProblems.join("\n  ")}`);

  let databaseUrl: string;
  if (env.databaseUrl) {
    databaseUrl = env.databaseUrl;
    say(`using DATABASE_URL (${databaseUrl.replace(/\/\/[^@]*@/, "//***@")})`);
  } else {
    say(`starting embedded PostgreSQL under .data/postgres on 127.0.0.1:${env.embeddedPgPort} (the first start initialises it)`);
    // Detached: Ctrl-C reaches the terminal's whole process group, and the database must
    // outlive the console and the proxy while they stop.
    const pg = await startEmbeddedPostgres({ dataDir: pgDir, port: env.embeddedPgPort, detached: true, log: (l: string) => say(`postgres: ${l}`) });
    databaseUrl = pg.url;
    stopDatabase = pg.stop;
  }

  say("applying database migrations");
  await migrateDatabase(databaseUrl, { log: (l: string) => say(l) });
  const secretKey = loadSecretKey();
  const creds = loadCredentials();
  const db = createDb(databaseUrl, { secrets: createSecretBox(parseSecretKey(secretKey)) });
  try {
    const seeded = await seedDemoConfig(
      db,
      demoConfig({ upstreamHost: "127.0.0.1", usersPort: env.usersPort, ordersPort: env.ordersPort, listenerPort: env.proxyPort }),
      { actor: "npm start" },
    );
    say(seeded ? "seeded the demo config as version 1" : "database already has config versions; not seeding");
    await ensureDemoNodeToken(db, creds.nodeToken);
    await checkLiveListeners(db);
  } finally {
    await db.close();
  }

  if (!flags.dev) await buildIfStale();

  for (const [name, port] of [["users", env.usersPort], ["orders", env.ordersPort]] as const) {
    const args = flags.dev ? ["--import", "tsx", "apps/demo/src/upstream.ts"] : ["apps/demo/dist/upstream.js"];
    startService({ name, command: process.execPath, args: [...args, "--name", name, "--port", String(port)], cwd: root, env: childEnv() });
  }

  const consoleEnv = childEnv({
    DATABASE_URL: databaseUrl,
    PORT: String(env.consolePort),
    HOST: env.consoleHost,
    SWITCHYARD_ADMIN_EMAIL: creds.adminEmail,
    SWITCHYARD_ADMIN_PASSWORD: creds.adminPassword,
    SWITCHYARD_API_TOKEN: creds.apiToken,
    SWITCHYARD_SECRET_KEY: secretKey,
    NODE_ENV: flags.dev ? "development" : "production",
    // A loopback trial: plain HTTP and ws:// (which the proxy accepts on loopback only),
    // whatever TLS variables the shell holds (empty = unset to the console's env.ts).
    SWITCHYARD_TLS_CERT: "",
    SWITCHYARD_TLS_KEY: "",
    SWITCHYARD_TLS_CLIENT_CA: "",
  });
  const consoleArgs = flags.dev ? ["--import", "tsx", "server.ts"] : ["dist/server.js"];
  startService({ name: "console", command: process.execPath, args: consoleArgs, cwd: join(root, "apps", "web"), env: consoleEnv });
  const consoleUrl = `http://127.0.0.1:${env.consolePort}`;
  say(`waiting for the console on ${consoleUrl}`);
  await waitForHttp(`${consoleUrl}/api/v1/healthz`, { timeoutMs: 180_000 });

  const readiness = proxyReadiness({ timeoutMs: PROXY_READY_TIMEOUT_MS });
  startService({
    name: "proxy",
    command: process.execPath,
    args: [
      join(root, "apps", "proxy", "bin", "switchyard-proxy.js"),
      "--control-plane", `ws://127.0.0.1:${env.consolePort}/api/xds`,
      "--node-id", "local-1",
      "--admin", `127.0.0.1:${env.adminPort}`,
      "--cache-dir", join(dataDir, "proxy-cache", "local-1"),
      "--label", "env=demo",
      // One process keeps the demo's logs readable; production runs every core (the default).
      "--workers", "1",
    ],
    cwd: root,
    // The token goes by environment, not argv, so it does not show in `ps`.
    env: childEnv({ SWITCHYARD_NODE_TOKEN: creds.nodeToken }),
    onLine: readiness.onLine,
  });
  const notReady = await readiness.wait(`http://127.0.0.1:${env.adminPort}/ready`);
  if (notReady) throw new StartError(notReady);

  say("");
  say("Switchyard is up:");
  say(`  console       ${consoleUrl}   (log in as ${creds.adminEmail} / ${creds.adminPassword})`);
  say(`  REST API      ${consoleUrl}/api/v1   (Authorization: Bearer ${creds.apiToken})`);
  say(`  proxy         http://127.0.0.1:${env.proxyPort}   try: curl http://127.0.0.1:${env.proxyPort}/users/42`);
  say(`  proxy admin   http://127.0.0.1:${env.adminPort}   (/help lists its endpoints)`);
  say(`  upstreams     users 127.0.0.1:${env.usersPort}, orders 127.0.0.1:${env.ordersPort}`);
  say(`  CLI           SWITCHYARD_URL=${consoleUrl} SWITCHYARD_TOKEN=<apiToken> npx switchyard nodes list`);
  say("  credentials are kept in .data/credentials.json; Ctrl-C stops everything");
}

/**
 * A database seeded by an earlier start keeps the listener port of that start; the
 * variable only seeds a fresh database. Say so instead of letting the proxy NACK.
 */
async function checkLiveListeners(db: Db): Promise<void> {
  const live = await getLatestVersion(db);
  const listeners = ((live?.config as { listeners?: { name: string; address: string; port: number }[] } | undefined)?.listeners ?? []).filter((l) => l.port !== env.proxyPort);
  const problems = await checkPorts(listeners.map((l) => ({ what: `listener "${l.name}" of live version ${live?.version}`, host: l.address, port: l.port, variable: "SWITCHYARD_DEMO_LISTENER_PORT" })));
  if (problems.length) {
    throw new StartError(
      `cannot start:\n  ${problems.join("\n  ")}\n  (the live config came from an earlier start, and the variable only seeds a new database: change the listener in the console, or start over with rm -rf .data)`,
    );
  }
}

/** npm run build when a compiled output is missing or older than its sources, with progress while it runs. */
async function buildIfStale(): Promise<void> {
  const stale = staleBuilds(root);
  if (stale.length === 0) return;
  say(`building ${stale.join(", ")} (npm run build: tsc type-checks and compiles each package, then next build; the first build takes a few minutes)`);
  const started = Date.now();
  const ticker = setInterval(() => say(`still building (${Math.round((Date.now() - started) / 1000)} s)...`), 15_000);
  const npm = process.env.npm_execpath;
  const build = startChild({
    name: "build",
    command: npm ? process.execPath : "npm",
    args: [...(npm ? [npm] : []), "run", "build"],
    cwd: root,
    env: childEnv({ TURBO_TELEMETRY_DISABLED: "1" }),
  });
  children.push(build);
  const code = await build.exited;
  clearInterval(ticker);
  children.splice(children.indexOf(build), 1);
  if (code !== 0) throw new StartError(`the build failed (exit ${code}); the errors are above (run \`npm run build\` alone to see them again), or try \`npm start -- --dev\``);
  say(`built in ${Math.round((Date.now() - started) / 1000)} s`);
}

main().catch((err: unknown) => void stop(1, err instanceof StartError ? err.message : `npm start failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
