/**
 * `npm start`: the whole platform on one machine, in one command.
 *
 *  1. PostgreSQL: DATABASE_URL when set, else an embedded server under .data/postgres.
 *  2. Migrations, then the demo config as version 1 (only on an empty database).
 *  3. Two demo upstream services, the console (PORT, default 3000) and one proxy node
 *     (listener 8080, admin 9901) connected to it over the control-plane WebSocket.
 *  4. Ctrl-C stops everything, children first, then the embedded database.
 *
 * Flags: --dev (console in Next dev mode instead of a production build).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  createDb,
  createNodeToken,
  createSecretBox,
  generateSecretKey,
  hashToken,
  migrateDatabase,
  parseSecretKey,
  seedDemoConfig,
  startEmbeddedPostgres,
  type Db,
} from "@switchyard/db";
import { demoConfig } from "../demo/config.ts";
import { startChild, type Child } from "./lib/children.ts";
import { waitForHttp } from "./lib/wait.ts";
import { webBuildIsFresh } from "./lib/web-build.ts";

const root = resolve(import.meta.dirname, "..");
const dataDir = join(root, ".data");
const { values: flags } = parseArgs({ options: { dev: { type: "boolean", default: false } } });

const env = {
  databaseUrl: process.env.DATABASE_URL,
  consolePort: intFromEnv("PORT", 3000),
  proxyPort: intFromEnv("SWITCHYARD_DEMO_LISTENER_PORT", 8080),
  adminPort: intFromEnv("SWITCHYARD_DEMO_ADMIN_PORT", 9901),
  usersPort: intFromEnv("SWITCHYARD_DEMO_USERS_PORT", 9101),
  ordersPort: intFromEnv("SWITCHYARD_DEMO_ORDERS_PORT", 9102),
  embeddedPgPort: intFromEnv("SWITCHYARD_EMBEDDED_PG_PORT", 54329),
};

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    console.error(`${name}: must be a port number from 1 to 65535, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

const say = (line: string) => console.log(`\x1b[36m[switchyard]\x1b[0m ${line}`);

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

async function main() {
  mkdirSync(dataDir, { recursive: true });
  const children: Child[] = [];
  let stopDatabase: (() => Promise<void>) | undefined;
  let stopping = false;

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say("stopping...");
    // Reverse start order: the proxy first (it keeps serving from its cache meanwhile),
    // then the console, then the upstreams, and the database last.
    for (const child of [...children].reverse()) await child.stop();
    if (stopDatabase) {
      say("stopping embedded PostgreSQL");
      await stopDatabase().catch((err: unknown) => say(`embedded PostgreSQL did not stop cleanly: ${String(err)}`));
    }
    say("stopped");
    process.exit(code);
  };
  process.on("SIGINT", () => void stopAll(0));
  process.on("SIGTERM", () => void stopAll(0));

  let databaseUrl: string;
  if (env.databaseUrl) {
    databaseUrl = env.databaseUrl;
    say(`using DATABASE_URL (${databaseUrl.replace(/\/\/[^@]*@/, "//***@")})`);
  } else {
    say(`starting embedded PostgreSQL under .data/postgres on 127.0.0.1:${env.embeddedPgPort} (first start initialises it)`);
    const pg = await startEmbeddedPostgres({ dataDir: join(dataDir, "postgres"), port: env.embeddedPgPort, log: (l: string) => say(`postgres: ${l}`) });
    databaseUrl = pg.url;
    stopDatabase = pg.stop;
  }

  say("applying database migrations");
  await migrateDatabase(databaseUrl, { log: (l: string) => say(l) });
  const secretKey = loadSecretKey();
  const creds = loadCredentials();
  const db = createDb(databaseUrl, { secrets: createSecretBox(parseSecretKey(secretKey)) });
  const seeded = await seedDemoConfig(
    db,
    demoConfig({ upstreamHost: "127.0.0.1", usersPort: env.usersPort, ordersPort: env.ordersPort, listenerPort: env.proxyPort }),
    { actor: "npm start" },
  );
  say(seeded ? "seeded the demo config as version 1" : "database already has config versions; not seeding");
  await ensureDemoNodeToken(db, creds.nodeToken);
  await db.close();

  const tsx = join(root, "node_modules", ".bin", "tsx");

  for (const [name, port] of [["users", env.usersPort], ["orders", env.ordersPort]] as const) {
    children.push(startChild({ name, command: tsx, args: ["demo/upstream.ts", "--name", name, "--port", String(port)], cwd: root, onExit: (c) => void stopAll(c ?? 1) }));
  }

  const webDir = join(root, "apps", "web");
  if (!flags.dev && !webBuildIsFresh(root)) {
    say("building the console (next build, a minute or two on 2 cores; again only when its sources change)...");
    const build = startChild({ name: "build", command: "npm", args: ["run", "build", "-w", "@switchyard/web"], cwd: root, env: { NEXT_TELEMETRY_DISABLED: "1" } });
    const code = await build.exited;
    if (code !== 0) {
      say(`the console build failed (exit ${code}); run 'npm run build -w @switchyard/web' to see why, or 'npm start -- --dev'`);
      await stopAll(1);
      return;
    }
  }

  const consoleEnv: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    PORT: String(env.consolePort),
    SWITCHYARD_ADMIN_EMAIL: creds.adminEmail,
    SWITCHYARD_ADMIN_PASSWORD: creds.adminPassword,
    SWITCHYARD_API_TOKEN: creds.apiToken,
    SWITCHYARD_SECRET_KEY: secretKey,
    NODE_ENV: flags.dev ? "development" : "production",
    NEXT_TELEMETRY_DISABLED: "1",
  };
  children.push(startChild({ name: "console", command: tsx, args: ["server.ts"], cwd: webDir, env: consoleEnv, onExit: (c) => void stopAll(c ?? 1) }));
  const consoleUrl = `http://127.0.0.1:${env.consolePort}`;
  say(`waiting for the console on ${consoleUrl}`);
  await waitForHttp(`${consoleUrl}/api/v1/healthz`, { timeoutMs: 180_000 });

  children.push(
    startChild({
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
      env: { SWITCHYARD_NODE_TOKEN: creds.nodeToken },
      onExit: (c) => void stopAll(c ?? 1),
    }),
  );
  await waitForHttp(`http://127.0.0.1:${env.adminPort}/ready`, { timeoutMs: 30_000 });

  say("");
  say("Switchyard is up:");
  say(`  console       ${consoleUrl}   (log in as ${creds.adminEmail} / ${creds.adminPassword})`);
  say(`  REST API      ${consoleUrl}/api/v1   (Authorization: Bearer ${creds.apiToken})`);
  say(`  proxy         http://127.0.0.1:${env.proxyPort}   try: curl http://127.0.0.1:${env.proxyPort}/users/42`);
  say(`  proxy admin   http://127.0.0.1:${env.adminPort}   (/ready /clusters /config_dump /stats/prometheus)`);
  say(`  upstreams     users 127.0.0.1:${env.usersPort}, orders 127.0.0.1:${env.ordersPort}`);
  say("  credentials are kept in .data/credentials.json; Ctrl-C stops everything");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
