/**
 * Starts the REAL console as a child process (`tsx apps/web/server.ts`, production mode
 * from the `next build` output) on a free port with a fresh test database and known
 * admin and API credentials. Used by the web tests and the whole-system test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createTestDatabase, TEST_SECRET_KEY } from "@switchyard/db/testing";
import { staleBuilds, webBuildIsFresh } from "../../../../scripts/lib/build.ts";

const WEB_DIR = resolve(import.meta.dirname, "../..");
const ROOT = resolve(WEB_DIR, "../..");
const BUILD_LOCK = join(WEB_DIR, ".next-build.lock");

export type TConsoleHandle = {
  url: string;
  port: number;
  databaseUrl: string;
  apiToken: string;
  adminEmail: string;
  adminPassword: string;
  /** Everything the console printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** The console process (fault tests kill it with SIGKILL). */
  readonly child: ChildProcess;
  stop(): Promise<void>;
};

/** Ports from this worker's own slice (see the proxy's test helper for why). */
export { freePort } from "../../../proxy/test/helpers/free-port.ts";
import { freePort } from "../../../proxy/test/helpers/free-port.ts";

/**
 * `port` / `apiToken`: fixed values, so a restarted console is the same one to its nodes and clients.
 * `tls`: PEM files; the console serves HTTPS/WSS (and asks nodes for a certificate signed by
 * `clientCa`). The caller makes this process trust the CA (fetch's global dispatcher).
 */
export async function startConsole(
  opts: { databaseUrl?: string; env?: Record<string, string>; port?: number; apiToken?: string; tls?: { certFile: string; keyFile: string; clientCaFile?: string } } = {},
): Promise<TConsoleHandle> {
  await ensureBuild();
  const testDb = opts.databaseUrl ? undefined : await createTestDatabase();
  const databaseUrl = opts.databaseUrl ?? testDb!.url;
  // The console runs its own pool; the helper's handle is only needed for drop().
  const port = opts.port ?? (await freePort());
  const creds = {
    apiToken: opts.apiToken ?? `swy_test_${randomBytes(12).toString("hex")}`,
    adminEmail: "admin@switchyard.test",
    adminPassword: `pw-${randomBytes(8).toString("hex")}`,
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: "127.0.0.1",
    SWITCHYARD_API_TOKEN: creds.apiToken,
    SWITCHYARD_ADMIN_EMAIL: creds.adminEmail,
    SWITCHYARD_ADMIN_PASSWORD: creds.adminPassword,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    // The key of test databases, so the test's own handle reads what the console sealed.
    SWITCHYARD_SECRET_KEY: TEST_SECRET_KEY,
    ...(opts.tls
      ? { SWITCHYARD_TLS_CERT: opts.tls.certFile, SWITCHYARD_TLS_KEY: opts.tls.keyFile, ...(opts.tls.clientCaFile ? { SWITCHYARD_TLS_CLIENT_CA: opts.tls.clientCaFile } : {}) }
      : {}),
    ...opts.env,
  };
  // One process, not the tsx CLI: the CLI runs the server in a child of its own, so a
  // SIGKILL meant for the console (faults-console) killed only the wrapper and left the
  // real console serving on its port after the run (issue #13).
  const child = spawn(process.execPath, ["--import", "tsx", "server.ts"], { cwd: WEB_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  for (const stream of [child.stdout, child.stderr]) stream.on("data", (d: Buffer) => (output += d.toString()));
  const url = `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`;

  const stop = async () => {
    await stopChild(child);
    await testDb?.drop();
  };
  try {
    await waitUntilUp(child, `${url}/login`, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, databaseUrl, ...creds, output: () => output, stop, child };
}

async function waitUntilUp(child: ChildProcess, probe: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the console exited (${child.exitCode ?? child.signalCode}) before it was up:\n${output().slice(-4000)}`);
    }
    try {
      const res = await fetch(probe);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the console did not answer ${probe} within 90 s:\n${output().slice(-4000)}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

function buildIsFresh(): boolean {
  return webBuildIsFresh(ROOT);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the console once when `.next` is missing or older than its pages. Parallel test
 * files (vitest forks) race here: the first takes an exclusive lock file, the others wait
 * for it to go away. A lock left by a dead process is taken over.
 */
function ensureBuild(): Promise<void> {
  return buildUnderLock(buildIsFresh, () => runBuild(join(ROOT, "node_modules", ".bin", "next"), ["build"], WEB_DIR));
}

/**
 * Every compiled output `npm start` runs (`npm run build`: dist/ of every workspace and
 * the console's .next), built under the same lock as ensureBuild (both run next build).
 */
export function ensureCompiledBuild(): Promise<void> {
  return buildUnderLock(
    () => staleBuilds(ROOT).length === 0,
    () => runBuild(process.execPath, [join(ROOT, "node_modules", "turbo", "bin", "turbo"), "run", "build"], ROOT),
  );
}

async function buildUnderLock(isFresh: () => boolean, build: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 600_000;
  while (!isFresh()) {
    let fd: number | undefined;
    try {
      fd = openSync(BUILD_LOCK, "wx");
    } catch {
      const holder = Number(readFileSafe(BUILD_LOCK));
      if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) unlinkSafe(BUILD_LOCK);
      if (Date.now() > deadline) throw new Error(`waited 10 minutes for another process to build the console (${BUILD_LOCK})`);
      await new Promise((r) => setTimeout(r, 1_000));
      continue;
    }
    try {
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      if (!isFresh()) await build();
    } finally {
      unlinkSafe(BUILD_LOCK);
    }
  }
}

function runBuild(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolveBuild, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", TURBO_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    for (const s of [child.stdout, child.stderr]) s.on("data", (d: Buffer) => (out += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolveBuild() : reject(new Error(`${[command, ...args].join(" ")} failed (exit ${code}):\n${out.slice(-4000)}`))));
  });
}

function readFileSafe(p: string): string {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return "";
  }
}

function unlinkSafe(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    // already gone
  }
}
