import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runningServerPid } from "@switchyard/db";
import { ensureCompiledBuild } from "../../apps/web/test/helpers/start-console.ts";
import { freePort } from "../system/free-port.ts";

/**
 * Issue #16: `npm start` as a new user runs it — as root, in a fresh checkout under a
 * 0700 directory (root's home), which the `postgres` user the embedded server runs as
 * cannot enter. The checkout is a copy of this one inside such a directory: sources
 * copied, node_modules and the compiled build hard-linked (so the build is fresh and
 * npm start does not rebuild), node_modules included, so the PostgreSQL binaries are out
 * of the postgres user's reach too. `npm start` itself runs (npm, then scripts/start.mjs)
 * with every port moved through its variable, to a request served through the proxy.
 */
const ROOT = resolve(import.meta.dirname, "../..");
const asRoot = process.getuid?.() === 0;
const work = join(ROOT, ".data", `npm-start-test-${process.pid}`);
/** Root's clone: in a 0700 directory of root's. */
const checkout = join(work, "home", "switchyard");
/** An ordinary user's clone: nobody's own 0700 home. */
const userHome = join(work, "user-home");
const userCheckout = join(userHome, "switchyard");
const NOBODY = { uid: 65534, gid: 65534 };

function npmCli(): string {
  const fromNpm = process.env.npm_execpath;
  if (fromNpm && fromNpm.endsWith(".js")) return fromNpm;
  return realpathSync(execFileSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).trim());
}

/**
 * The files of this checkout (tracked and untracked, not ignored) and the generated
 * Prisma client copied to `checkout`; node_modules and the build hard-linked (never
 * chown a linked file: it is this checkout's too).
 */
function copyCheckout(checkout: string): void {
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(ROOT, f))) continue;
    mkdirSync(dirname(join(checkout, f)), { recursive: true });
    cpSync(join(ROOT, f), join(checkout, f), { preserveTimestamps: true });
  }
  cpSync(join(ROOT, "packages/db/src/generated"), join(checkout, "packages/db/src/generated"), { recursive: true, preserveTimestamps: true });
  const linked = ["node_modules", ...["packages", "apps"].flatMap((d) => readdirSync(join(ROOT, d)).flatMap((w) => ["node_modules", "dist", ".next"].map((o) => join(d, w, o))))];
  for (const rel of linked) {
    if (!existsSync(join(ROOT, rel))) continue;
    mkdirSync(dirname(join(checkout, rel)), { recursive: true });
    execFileSync("cp", ["-al", join(ROOT, rel), join(checkout, rel)]);
  }
  // .next/cache is written while serving: drop the links rather than share its files.
  rmSync(join(checkout, "apps/web/.next/cache"), { recursive: true, force: true });
}

/** `exited`: npm's exit; `closed`: every process that held its output (the launcher and its children) is done. */
type TRun = { child: ChildProcess; output: () => string; exited: Promise<number | null>; closed: Promise<void> };

function npmStart(env: Record<string, string>, as: { cwd: string; user?: typeof NOBODY } = { cwd: checkout }): TRun {
  // The launcher's children run the compiled build, as for a user: no source condition.
  const nodeOptions = (process.env.NODE_OPTIONS ?? "").split(/\s+/).filter((o) => o && !o.includes("@switchyard/source")).join(" ");
  const child = spawn(process.execPath, [npmCli(), "start"], {
    cwd: as.cwd,
    ...(as.user ?? {}),
    env: { ...process.env, NODE_OPTIONS: nodeOptions, DATABASE_URL: "", FORCE_COLOR: "0", ...(as.user ? { HOME: userHome, USER: "nobody" } : {}), ...env },
    // Its own process group: the end of a test signals all of it, like Ctrl-C in a terminal.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  for (const s of [child.stdout!, child.stderr!]) s.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const closed = Promise.all([child.stdout!, child.stderr!].map((s) => new Promise<void>((r) => s.once("close", () => r())))).then(() => undefined);
  return { child, output: () => output, exited, closed };
}

async function waitFor(run: TRun, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!run.output().includes(text)) {
    if (run.child.exitCode !== null) throw new Error(`npm start exited (${run.child.exitCode}) before "${text}":\n${run.output().slice(-6000)}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" from npm start within ${timeoutMs} ms:\n${run.output().slice(-6000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Ctrl-C: SIGINT to the whole group; resolves once the launcher (not just npm) has finished. */
async function interrupt(run: TRun): Promise<void> {
  const group = -run.child.pid!;
  try {
    process.kill(group, "SIGINT");
  } catch {
    return; // the group is gone already
  }
  const deadline = Date.now() + 60_000;
  while (groupAlive(group) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (groupAlive(group)) process.kill(group, "SIGKILL");
  await run.closed;
}

function groupAlive(group: number): boolean {
  try {
    process.kill(group, 0);
    return true;
  } catch {
    return false;
  }
}

async function ports(): Promise<Record<string, string>> {
  const names = ["PORT", "SWITCHYARD_DEMO_LISTENER_PORT", "SWITCHYARD_DEMO_ADMIN_PORT", "SWITCHYARD_DEMO_USERS_PORT", "SWITCHYARD_DEMO_ORDERS_PORT", "SWITCHYARD_EMBEDDED_PG_PORT"];
  const out: Record<string, string> = {};
  for (const n of names) out[n] = String(await freePort());
  return out;
}

describe.skipIf(!asRoot)("npm start as root from a 0700 directory", () => {
  let pgData: string | null = null;

  beforeAll(async () => {
    await ensureCompiledBuild();
    rmSync(work, { recursive: true, force: true });
    mkdirSync(join(work, "home"), { recursive: true });
    chmodSync(join(work, "home"), 0o700);
    copyCheckout(checkout);
  }, 900_000);

  afterAll(() => {
    // The data directory npm start had to create outside the private checkout.
    if (pgData) rmSync(pgData, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it("starts everything and serves a request through the proxy, then stops in order on Ctrl-C", { timeout: 600_000 }, async () => {
    expect(statSync(join(work, "home")).mode & 0o777).toBe(0o700);
    const env = await ports();
    const run = npmStart(env);
    try {
      await waitFor(run, "Switchyard is up", 300_000);
      const res = await fetch(`http://127.0.0.1:${env.SWITCHYARD_DEMO_LISTENER_PORT}/users/42`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ service: "users", path: "/users/42" });
      // Compiled JavaScript, no build: the hard-linked build was fresh.
      expect(run.output()).not.toContain("[build]");
      const out = run.output();
      expect(out).toMatch(/copying the PostgreSQL binaries|postgres-bin/);
      expect(out).toMatch(/PostgreSQL keeps its data in \/var\/lib\/switchyard\/postgres-data\//);
      pgData = realpathSync(join(checkout, ".data", "postgres"));
      const pid = await runningServerPid(pgData);
      expect(pid).not.toBeNull();
      expect(statSync(`/proc/${pid}`).uid).not.toBe(0);
      const commands = execFileSync("ps", ["-o", "args=", "--ppid", String(readPid(checkout))], { encoding: "utf8" });
      expect(commands).toContain("dist/server.js");
      expect(commands).toContain("apps/demo/dist/upstream.js");
    } finally {
      await interrupt(run);
    }
    // npm itself dies of the SIGINT, as in a terminal; the launcher stops everything in order.
    expect(run.output(), run.output().slice(-3000)).toMatch(/stopping embedded PostgreSQL[\s\S]*database system is shut down[\s\S]*\[switchyard\] stopped/);
    expect(run.output()).not.toContain("xds_db_error");
    expect(await runningServerPid(pgData!)).toBeNull();
  });

  it("a failure after PostgreSQL started (the console refuses its environment) stops everything in order", { timeout: 300_000 }, async () => {
    const env = await ports();
    const failed = npmStart({ ...env, SWITCHYARD_RETENTION_INTERVAL_MS: "5" });
    const code = await failed.exited;
    await failed.closed;
    expect(code, failed.output()).toBe(1);
    expect(failed.output()).toContain("starting embedded PostgreSQL");
    expect(failed.output()).toMatch(/console exited \(code 2\) before it was asked to stop/);
    expect(failed.output()).toContain("SWITCHYARD_RETENTION_INTERVAL_MS: must be >= 1000");
    expect(failed.output()).toContain("stopping embedded PostgreSQL");
    expect(await runningServerPid(realpathSync(join(checkout, ".data", "postgres")))).toBeNull();
    expect(existsSync(join(checkout, ".data", "npm-start.pid"))).toBe(false);
  });

  it("refuses a bad SWITCHYARD_SECRET_KEY before starting anything", { timeout: 60_000 }, async () => {
    const run = npmStart({ ...(await ports()), SWITCHYARD_SECRET_KEY: "not-a-key" });
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain("SWITCHYARD_SECRET_KEY: must be 32 bytes");
    expect(run.output()).not.toContain("starting embedded PostgreSQL");
  });

  it("names the variable that moves a port in use, before starting anything", { timeout: 120_000 }, async () => {
    const env = await ports();
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(Number(env.SWITCHYARD_DEMO_LISTENER_PORT), "0.0.0.0", r));
    try {
      const run = npmStart(env);
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`port 0.0.0.0:${env.SWITCHYARD_DEMO_LISTENER_PORT} (demo proxy listener) is in use: start with SWITCHYARD_DEMO_LISTENER_PORT=<another port>`);
      expect(run.output()).not.toContain("starting embedded PostgreSQL");
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });

  it("checks the Node.js version before anything else", { timeout: 60_000 }, () => {
    const old = spawnSyncOutput(process.execPath, ["--import", "data:text/javascript,Object.defineProperty(process.versions,'node',{value:'20.11.1'})", "scripts/start.mjs"]);
    expect(old.status).toBe(1);
    expect(old.stderr).toContain("Switchyard needs Node.js >=22.12");
    expect(old.stderr).toContain("this is v20.11.1");
  });
});

describe.skipIf(!asRoot)("npm start as an ordinary user in their own 0700 home", () => {
  beforeAll(async () => {
    await ensureCompiledBuild();
    mkdirSync(userHome, { recursive: true });
    copyCheckout(userCheckout);
    // nobody owns its home, the checkout's top directory (for .data) and the console's .next
    // directory (for .next/cache): directories made by the copy, not linked files.
    for (const dir of [userHome, userCheckout, join(userCheckout, "apps/web/.next")]) chownSync(dir, NOBODY.uid, NOBODY.gid);
    chmodSync(userHome, 0o700);
  }, 900_000);

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it("starts everything as that user (PostgreSQL too, with its data in the checkout) and serves a request", { timeout: 600_000 }, async () => {
    const env = await ports();
    const run = npmStart(env, { cwd: userCheckout, user: NOBODY });
    try {
      await waitFor(run, "Switchyard is up", 300_000);
      const res = await fetch(`http://127.0.0.1:${env.SWITCHYARD_DEMO_LISTENER_PORT}/orders/7`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ service: "orders", path: "/orders/7" });
      const pgData = join(userCheckout, ".data", "postgres");
      expect(realpathSync(pgData)).toBe(pgData);
      const pid = await runningServerPid(pgData);
      expect(statSync(`/proc/${pid}`).uid).toBe(NOBODY.uid);
      expect(run.output()).not.toMatch(/copying the PostgreSQL binaries|keeps its data in/);
    } finally {
      await interrupt(run);
    }
    expect(run.output()).toMatch(/database system is shut down[\s\S]*\[switchyard\] stopped/);
  });
});

function readPid(dir: string): number {
  return Number(readFileSync(join(dir, ".data", "npm-start.pid"), "utf8"));
}

function spawnSyncOutput(command: string, args: string[]): { status: number | null; stderr: string } {
  try {
    execFileSync(command, args, { cwd: checkout, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { status: 0, stderr: "" };
  } catch (err) {
    const e = err as { status: number | null; stderr: string };
    return { status: e.status, stderr: e.stderr };
  }
}
