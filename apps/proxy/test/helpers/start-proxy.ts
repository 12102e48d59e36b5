import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port.ts";

/**
 * Runs the REAL CLI (`bin/switchyard-proxy.js`) as a child process, the way an operator
 * does, with a free admin port, and waits until GET /ready answers 200.
 *
 * Standalone: pass `config` (an object, written as JSON, or YAML/JSON text); the file
 * lives in a temp dir and `writeConfig` replaces it atomically (temp + rename, as editors do).
 * Managed or custom: pass `args` (e.g. ["--control-plane", url, "--node-id", "n1"]) and
 * `waitReady: false` when no config will be applied.
 *
 * The lead's whole-system test reuses this helper: keep its signature stable.
 */

export const PROXY_BIN = fileURLToPath(new URL("../../bin/switchyard-proxy.js", import.meta.url));

export type TStartProxyOptions = {
  /** Standalone config (object or YAML/JSON text). Omit for managed mode (give `args`). */
  config?: unknown;
  /** Extra CLI arguments. */
  args?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working directory of the proxy process; default a fresh temp dir. */
  cwd?: string;
  /** Wait for /ready = 200 (default true). */
  waitReady?: boolean;
  /** How long to wait for /ready; default 20000 ms. */
  readyTimeoutMs?: number;
  /** Write the access log to a file in the temp dir instead of stdout (default false). */
  accessLogFile?: boolean;
  /** Admin bind host (default 127.0.0.1); `adminUrl` still reaches it through 127.0.0.1. */
  adminHost?: string;
};

export type TProxyProcess = {
  readonly child: ChildProcess;
  readonly dir: string;
  readonly adminPort: number;
  readonly adminUrl: string;
  /** The standalone config file path, or null. */
  readonly configFile: string | null;
  /** Everything the process wrote to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Parsed JSON lines of the access log (stdout, or the file with accessLogFile) written so far. */
  accessLog(): Promise<Record<string, unknown>[]>;
  /**
   * Resolves with the first access-log line matching `predicate`. The proxy writes its
   * log after the response (batched, through a pipe or a file): a line is never there
   * the moment the client has its answer, so tests wait for it.
   */
  waitForAccessLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Parsed JSON lines of the event log (stderr). */
  events(): Record<string, unknown>[];
  /** Resolves with the first event matching `predicate` (seen before or after the call). */
  waitForEvent(predicate: (e: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Replaces the standalone config file atomically. */
  writeConfig(config: unknown): Promise<void>;
  /** GET/POST on the admin server. */
  admin(path: string, method?: "GET" | "POST"): Promise<Response>;
  /** Sends the signal and resolves with the exit code (SIGKILL after 15 s). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves when the process exits, with its exit code. */
  exited: Promise<number | null>;
};

export async function startProxy(opts: TStartProxyOptions = {}): Promise<TProxyProcess> {
  const dir = await mkdtemp(join(tmpdir(), "switchyard-proxy-"));
  const adminPort = await freePort();
  const args = ["--admin", `${opts.adminHost ?? "127.0.0.1"}:${adminPort}`];
  let configFile: string | null = null;
  if (opts.config !== undefined) {
    configFile = join(dir, "switchyard.yaml");
    await writeFile(configFile, toText(opts.config));
    args.push("--config", configFile);
  }
  const accessLogPath = opts.accessLogFile ? join(dir, "access.log") : null;
  if (accessLogPath) args.push("--access-log", accessLogPath);
  args.push(...(opts.args ?? []));
  // The CLI's default is every core; tests run one process unless they ask for workers.
  if (!args.includes("--workers")) args.push("--workers", "1");

  // Its own process group: with --workers the primary forks workers, and a primary that
  // dies before it can drain them (a SIGTERM while it is still loading) leaves them
  // running; stop() waits for the whole group and kills what is left of it.
  const child = spawn(process.execPath, [PROXY_BIN, ...args], {
    cwd: opts.cwd ?? dir,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const parseLines = (text: string) =>
    text
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });

  const proc: TProxyProcess = {
    child,
    dir,
    adminPort,
    adminUrl,
    configFile,
    exited,
    stdout: () => out,
    stderr: () => err,
    events: () => parseLines(err),
    async accessLog() {
      if (!accessLogPath) return parseLines(out);
      try {
        return parseLines(await readFile(accessLogPath, "utf8"));
      } catch {
        return [];
      }
    },
    async waitForAccessLog(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = (await proc.accessLog()).find(predicate);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no matching access-log line within ${timeoutMs} ms`);
        await sleep(50);
      }
    },
    async waitForEvent(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = parseLines(err).find(predicate);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no matching proxy event within ${timeoutMs} ms; stderr:\n${err}`);
        await sleep(50);
      }
    },
    async writeConfig(config) {
      if (!configFile) throw new Error("writeConfig needs a standalone proxy (start it with `config`)");
      const temp = `${configFile}.tmp`;
      await writeFile(temp, toText(config));
      await rename(temp, configFile);
    },
    admin: (path, method = "GET") => fetch(`${adminUrl}${path}`, { method }),
    async stop(signal = "SIGTERM") {
      let code = child.exitCode;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => killGroup(child.pid), STOP_TIMEOUT_MS);
        code = await exited;
        clearTimeout(timer);
      }
      await waitGroupGone(child.pid);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      return code;
    },
  };

  if (opts.waitReady !== false) {
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 20_000);
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));
    for (;;) {
      if (exitedEarly) throw new Error(`switchyard-proxy exited with ${child.exitCode} before it was ready; stderr:\n${err}`);
      try {
        const res = await fetch(`${adminUrl}/ready`);
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        killGroup(child.pid);
        await waitGroupGone(child.pid);
        throw new Error(`switchyard-proxy not ready within ${opts.readyTimeoutMs ?? 20_000} ms; stderr:\n${err}`);
      }
      await sleep(100);
    }
  }
  return proc;
}

/** SIGKILL after this long in stop(); the proxy's own drain grace is 10 s. */
const STOP_TIMEOUT_MS = 15_000;

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // the group is gone already
  }
}

/** Waits until no process of the proxy's group is left (workers drain up to their grace), then kills the rest. */
async function waitGroupGone(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  for (;;) {
    try {
      process.kill(-pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) return killGroup(pid);
    await sleep(50);
  }
}

function toText(config: unknown): string {
  return typeof config === "string" ? config : JSON.stringify(config, null, 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
