import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { APT_ENV, BENCH_CONNECTIONS, BENCH_LOAD_CPU, BENCH_PROXY_CPU, BENCH_SECONDS } from "./env.ts";

/**
 * Shared machinery of `npm run bench`: tool installation, pinned processes, the origin,
 * nginx/HAProxy configs, load generators, and CPU accounting from /proc.
 * Method: the proxy under test runs on BENCH_PROXY_CPU; the load generator and the origin
 * share BENCH_LOAD_CPU. A proxy's cost is the CPU time its whole process tree used during
 * the run (utime + stime from /proc/PID/stat), divided by the requests the load generator
 * completed: "µs per request", and its inverse "requests per proxy CPU-second".
 */

export const run = promisify(execFile);

export type TLoad = { requests: number; rps: number; p50: number; p99: number; errors: number };
export type TRow = TLoad & { target: string; cpuSeconds: number | null };

const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64/arm64; /proc/PID/stat counts in these.

async function has(bin: string): Promise<boolean> {
  return run("sh", ["-c", `command -v ${bin} || test -x /usr/sbin/${bin}`]).then(() => true, () => false);
}

/** nginx, HAProxy, wrk, h2load, taskset and openssl; installed from Debian packages when missing (needs root). */
export async function ensureTools(): Promise<void> {
  const wanted: [string, string][] = [["nginx", "nginx-light"], ["haproxy", "haproxy"], ["wrk", "wrk"], ["h2load", "nghttp2-client"], ["taskset", "util-linux"], ["openssl", "openssl"]];
  const missing: string[] = [];
  for (const [bin, pkg] of wanted) if (!(await has(bin))) missing.push(pkg);
  if (!missing.length) return;
  console.error(`bench: installing ${missing.join(", ")} (apt-get)`);
  await run("apt-get", ["update", "-qq"], { env: APT_ENV, maxBuffer: 1 << 26 });
  await run("apt-get", ["install", "-y", "-qq", ...missing], { env: APT_ENV, maxBuffer: 1 << 26 });
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const addr = s.address();
  await new Promise((r) => s.close(r));
  return typeof addr === "object" && addr ? addr.port : 0;
}

export async function tempDir(tag: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `bench-${tag}-`));
}

/** Spawns `cmd args` pinned to `cpu` (taskset execs the command, so the pid is the command's). */
export function spawnPinned(cpu: string, cmd: string, args: string[], opts: { stderr?: "pipe" | "ignore" } = {}): ChildProcess {
  const child = spawn("taskset", ["-c", cpu, cmd, ...args], { stdio: ["ignore", "ignore", opts.stderr ?? "ignore"] });
  child.on("error", (err) => console.error(`bench: ${cmd}: ${err.message}`));
  spawned.add(child);
  child.once("exit", () => spawned.delete(child));
  return child;
}

/** Every process the bench started and that still runs; a failing run must not leave them behind. */
const spawned = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of spawned) child.kill("SIGTERM");
});

/** Node peers run their TypeScript through tsx's loader in the same process (no wrapper process). */
export function spawnNode(cpu: string, script: string, args: string[], opts: { stderr?: "pipe" | "ignore" } = {}): ChildProcess {
  return spawnPinned(cpu, process.execPath, ["--import", "tsx", script, ...args], opts);
}

export async function stop(child: ChildProcess | null | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Waits until `url` answers at all (any status), up to 30 s. */
export async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(url).then(async (r) => (await r.arrayBuffer(), true), () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within 30 s`);
}

/** CPU seconds used so far by `pid` and all its live descendants (nginx master + worker, cluster workers). */
export function treeCpuSeconds(pid: number): number {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // Fields after the parenthesised command name (which may contain spaces): state ppid ... utime(14) stime(15).
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    parent.set(Number(name), Number(rest[1]));
    ticks.set(Number(name), Number(rest[11]) + Number(rest[12]));
  }
  let total = 0;
  for (const [p, t] of ticks) {
    for (let q: number | undefined = p; q !== undefined && q > 1; q = parent.get(q)) {
      if (q === pid) {
        total += t;
        break;
      }
    }
  }
  return total / CLK_TCK;
}

/** Resident set of `pid` in MiB (VmRSS). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

const toMs = (v: string, unit: string): number => Number(v) * (unit === "us" ? 0.001 : unit === "s" ? 1000 : 1);

/** wrk (one thread, BENCH_CONNECTIONS keep-alive connections) with --latency: requests, req/s, p50, p99. */
export async function wrk(url: string, seconds = BENCH_SECONDS): Promise<TLoad> {
  const { stdout } = await run("taskset", ["-c", BENCH_LOAD_CPU, "wrk", "-t1", `-c${BENCH_CONNECTIONS}`, `-d${seconds}s`, "--timeout", "5s", "--latency", url], { maxBuffer: 1 << 24 });
  const lat = (p: string) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(stdout);
    return m ? toMs(m[1] as string, m[2] as string) : 0;
  };
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const errors = non2xx + (sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { requests, rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0), p50: lat("50"), p99: lat("99"), errors };
}

/**
 * h2load (one thread, 16 connections x 10 streams). Percentiles come from its per-request
 * log (--log-file: start µs, status, duration µs), since its summary has only min/max/mean.
 */
export async function h2load(url: string, seconds = BENCH_SECONDS): Promise<TLoad> {
  const dir = await tempDir("h2load");
  const log = join(dir, "requests.tsv");
  const { stdout } = await run("taskset", ["-c", BENCH_LOAD_CPU, "h2load", "-D", String(seconds), "-c", "16", "-m", "10", "-t", "1", `--log-file=${log}`, url], { maxBuffer: 1 << 24 });
  const durations: number[] = [];
  let errors = 0;
  for (const line of (await readFile(log, "utf8")).split("\n")) {
    const [, status, us] = line.split("\t");
    if (us === undefined) continue;
    if (status !== "200") errors++;
    durations.push(Number(us) / 1000);
  }
  durations.sort((a, b) => a - b);
  const pct = (p: number) => durations[Math.min(durations.length - 1, Math.floor((p / 100) * durations.length))] ?? 0;
  const m = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(stdout);
  return { requests: durations.length, rps: Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(stdout)?.[1] ?? 0), p50: pct(50), p99: pct(99), errors: errors + (m ? Number(m[5]) + Number(m[6]) : 0) };
}

/** Runs `load` while accounting the CPU of `pid`'s process tree (null: no proxy in the path). */
export async function measure(pid: number | null, load: () => Promise<TLoad>): Promise<Omit<TRow, "target">> {
  const before = pid === null ? 0 : treeCpuSeconds(pid);
  const result = await load();
  const cpuSeconds = pid === null ? null : treeCpuSeconds(pid) - before;
  return { ...result, cpuSeconds };
}

/** Body sizes served by the origin: /small (100 B) and /large (16 KiB); any other path gets /small. */
export const BODY = { small: 100, large: 16 * 1024 } as const;

/**
 * The origin: nginx, one worker, on the load generator's CPU, serving two static files.
 * nginx rather than node:http so the origin costs the shared CPU as little as possible.
 */
export async function startOrigin(): Promise<{ port: number; child: ChildProcess }> {
  const dir = await tempDir("origin");
  const port = await freePort();
  await writeFile(join(dir, "small"), "x".repeat(BODY.small));
  await writeFile(join(dir, "large"), "y".repeat(BODY.large));
  const child = await startNginxWith(dir, BENCH_LOAD_CPU, `server { listen 127.0.0.1:${port} reuseport backlog=4096; access_log off; location / { root ${dir}; default_type text/plain; try_files $uri /small; } }`);
  await waitHttp(`http://127.0.0.1:${port}/small`);
  return { port, child };
}

/**
 * nginx in the foreground, `worker_processes 1`. keepalive_requests is raised from its
 * default of 1000: at 1000 nginx closes every connection after 1000 requests, and h2load
 * does not reconnect, which capped the first bench's nginx h2 runs at exactly
 * 16 connections x 1000 requests / duration (3200 req/s over 5 s).
 */
export async function startNginxWith(dir: string, cpu: string, httpBlock: string): Promise<ChildProcess> {
  const conf = join(dir, "nginx.conf");
  await writeFile(
    conf,
    `daemon off; master_process on; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log error;
events { worker_connections 8192; multi_accept on; }
http { keepalive_requests 10000000; keepalive_timeout 120s; http2_max_concurrent_streams 256; sendfile on; tcp_nodelay on;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  ${httpBlock} }`,
  );
  return spawnPinned(cpu, "/usr/sbin/nginx", ["-c", conf, "-p", dir]);
}

/** nginx as a proxy peer; `listen` holds the listen parameters (e.g. "127.0.0.1:8080 http2"). Access log on, buffered, like the proxy's. */
export async function startNginxProxy(originPort: number, listen: string, extra = ""): Promise<ChildProcess> {
  const dir = await tempDir("nginx");
  return startNginxWith(
    dir,
    BENCH_PROXY_CPU,
    `upstream origin { server 127.0.0.1:${originPort}; keepalive 128; keepalive_requests 10000000; }
  server { listen ${listen}; access_log ${dir}/access.log combined buffer=64k flush=1s; ${extra}
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering on; } }`,
  );
}

/** HAProxy as a proxy peer, one thread, server-side keep-alive reuse; `bind` holds the bind line's parameters. */
export async function startHaproxy(originPort: number, bind: string): Promise<ChildProcess> {
  const dir = await tempDir("haproxy");
  const conf = join(dir, "haproxy.cfg");
  await writeFile(
    conf,
    `global
  nbthread 1
  maxconn 4096
  tune.ssl.default-dh-param 2048
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
frontend fe
  bind ${bind}
  default_backend be
backend be
  http-reuse always
  server origin 127.0.0.1:${originPort}
`,
  );
  return spawnPinned(BENCH_PROXY_CPU, "haproxy", ["-f", conf, "-db"]);
}

/** Runs a Node peer from bench/peers on the proxy CPU. */
export function startNodePeer(script: string, port: number, originPort: number): ChildProcess {
  return spawnNode(BENCH_PROXY_CPU, `bench/peers/${script}`, [String(port), String(originPort)]);
}

/** A throwaway ECDSA P-256 certificate for localhost, as PEM files (HAProxy wants both in one). */
export async function makeCert(): Promise<{ dir: string; cert: string; key: string; combined: string }> {
  const dir = await tempDir("cert");
  const cert = join(dir, "c.pem");
  const key = join(dir, "k.pem");
  await run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"]);
  const combined = join(dir, "combined.pem");
  await writeFile(combined, (await readFile(cert, "utf8")) + (await readFile(key, "utf8")));
  return { dir, cert, key, combined };
}

export function loadAverage(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}
