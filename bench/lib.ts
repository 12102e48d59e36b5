import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import { mkdtemp, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { APT_ENV, BENCH_SECONDS } from "./env.ts";

export const run = promisify(execFile);
export const SECONDS = BENCH_SECONDS;
export type TRow = { target: string; rps: number; p50: number; p99: number };

async function has(bin: string): Promise<boolean> {
  return run("sh", ["-c", `command -v ${bin}`]).then(() => true, () => false);
}

/** h2load, wrk and nginx; installed from Debian packages when missing (needs root). */
export async function ensureTools(): Promise<void> {
  const missing: string[] = [];
  if (!(await has("h2load"))) missing.push("nghttp2-client");
  if (!(await has("wrk"))) missing.push("wrk");
  if (!(await has("nginx")) && !(await run("sh", ["-c", "test -x /usr/sbin/nginx"]).then(() => true, () => false))) missing.push("nginx-light");
  if (missing.length) await run("apt-get", ["install", "-y", ...missing], { env: APT_ENV });
}

/** A small fixed-size HTTP/1.1 upstream (the same one behind both proxies). */
export async function startOrigin(): Promise<{ port: number; close(): void }> {
  const body = Buffer.alloc(128, "x");
  const s = createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain", "content-length": body.length }).end(body));
  s.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { port: (s.address() as AddressInfo).port, close: () => s.close() };
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** nginx in the foreground with a generated config; one worker per core like the proxy's box. */
export async function startNginx(originPort: number, serverBlock: string): Promise<ChildProcess> {
  const dir = await mkdtemp(join(tmpdir(), "bench-nginx-"));
  const conf = join(dir, "nginx.conf");
  await writeFile(
    conf,
    `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  upstream origin { server 127.0.0.1:${originPort}; keepalive 64; }
  ${serverBlock} }`,
  );
  const child = spawn("/usr/sbin/nginx", ["-c", conf, "-p", dir], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 500));
  return child;
}

/** Parses h2load's "finished in ..., N req/s" and its time-for-request line (min max mean sd). */
export async function h2load(url: string, extra: string[] = []): Promise<Omit<TRow, "target">> {
  const { stdout } = await run("h2load", ["-D", String(SECONDS), "-c", "16", "-m", "10", "-t", "1", ...extra, url], { maxBuffer: 1 << 24 });
  const rps = Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(stdout)?.[1] ?? 0);
  // h2load prints min/max/mean/sd; percentiles need --log-file.
  return { rps, ...(await percentiles(stdout)) };
}

async function percentiles(stdout: string): Promise<{ p50: number; p99: number }> {
  const m = /time for request:\s+([\d.]+)(\w+)\s+([\d.]+)(\w+)\s+([\d.]+)(\w+)/.exec(stdout);
  const toMs = (v: string, u: string) => Number(v) * (u === "us" ? 0.001 : u === "s" ? 1000 : 1);
  // Without a per-request log, report the mean as p50 and the max as an upper bound for p99.
  return m ? { p50: toMs(m[5] as string, m[6] as string), p99: toMs(m[3] as string, m[4] as string) } : { p50: 0, p99: 0 };
}

/** wrk with --latency: req/s, p50, p99. */
export async function wrk(url: string): Promise<Omit<TRow, "target">> {
  const { stdout } = await run("wrk", ["-t1", "-c32", `-d${SECONDS}s`, "--latency", url], { maxBuffer: 1 << 24 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0);
  const lat = (p: string) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(stdout);
    return m ? Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1) : 0;
  };
  return { rps, p50: lat("50"), p99: lat("99") };
}

export function startSwitchyard(configFile: string, adminPort: number): ChildProcess {
  return spawn(process.execPath, ["apps/proxy/bin/switchyard-proxy.js", "--config", configFile, "--admin", `127.0.0.1:${adminPort}`, "--access-log", "/dev/null"], { stdio: "ignore" });
}

export async function waitReady(adminPort: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${adminPort}/ready`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("switchyard-proxy did not become ready");
}
