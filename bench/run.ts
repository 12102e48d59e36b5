/**
 * `npm run bench` (= tsx bench/run.ts [scenario...]): the proxy beside its peers, on
 * loopback, pinned: proxies on BENCH_PROXY_CPU, the load generator and the origin on
 * BENCH_LOAD_CPU. Prints one markdown table per scenario with req/s, p50/p99, proxy CPU
 * seconds, µs of proxy CPU per request, requests per proxy CPU-second and the ratios to
 * nginx (1 worker) and to the best Node peer, then the issue #9 targets, met or not.
 * Scenarios (default: all): h1-small h1-large h2c tls-h1 tls-h2 routing workers filter-chain.
 * Knobs (bench/env.ts): BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP_SECONDS, BENCH_CONNECTIONS, BENCH_PROXY_CPU, BENCH_LOAD_CPU,
 * BENCH_BASELINE_DIR (filter-chain: a checkout to compare with).
 * Needs nginx, HAProxy, wrk, h2load: installed with apt-get when missing. Benchmarks are never unit tests.
 */
import { cpus } from "node:os";
import { BENCH_CONNECTIONS, BENCH_LOAD_CPU, BENCH_PROXY_CPU, BENCH_ROUNDS, BENCH_SECONDS, BENCH_WARMUP_SECONDS } from "./env.ts";
import { ensureTools, loadAverage, run, startOrigin, stop, type TRow } from "./lib.ts";
import { filterChainScenario } from "./scenarios/filter-chain.ts";
import { h2cScenario } from "./scenarios/h2c.ts";
import { http1Scenario } from "./scenarios/http1.ts";
import { routingScenario } from "./scenarios/routing.ts";
import { tlsScenario } from "./scenarios/tls.ts";
import { workersScenario } from "./scenarios/workers.ts";
import type { TScenarioResult } from "./scenarios/types.ts";

const SCENARIOS = {
  "h1-small": { title: "HTTP/1.1 keep-alive, 100 B body", run: (o: number) => http1Scenario(o, "/small") },
  "h1-large": { title: "HTTP/1.1 keep-alive, 16 KiB body", run: (o: number) => http1Scenario(o, "/large") },
  h2c: { title: "h2c (prior knowledge) -> HTTP/1.1 origin, 100 B", run: (o: number) => h2cScenario(o) },
  "tls-h1": { title: "TLS termination, HTTPS/1.1 -> HTTP/1.1 origin, 100 B", run: (o: number) => tlsScenario(o, "https1") },
  "tls-h2": { title: "TLS termination, h2 (ALPN) -> HTTP/1.1 origin, 100 B", run: (o: number) => tlsScenario(o, "h2") },
  routing: { title: "Routing cost: 10,000 routes (prefix/regex) + 1,000 clusters", run: (o: number) => routingScenario(o) },
  workers: { title: "--workers 2 vs --workers 1, HTTP/1.1 100 B (req/s)", run: (o: number) => workersScenario(o) },
  "filter-chain": { title: "Filter pipeline cost: empty chain, one filter, one TypeScript plugin, one proxy-wasm filter (this checkout vs BENCH_BASELINE_DIR)", run: (o: number) => filterChainScenario(o) },
} as const;
type TName = keyof typeof SCENARIOS;

const NODE_PEERS = ["bare node:http + undici", "@fastify/http-proxy", "http-proxy"];
const unknown = process.argv.slice(2).filter((a) => !(a in SCENARIOS));
if (unknown.length) {
  console.error(`bench: unknown scenario(s) ${unknown.join(", ")}; known: ${Object.keys(SCENARIOS).join(" ")}`);
  process.exit(2);
}
const wanted = (process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(SCENARIOS)) as TName[];

await ensureTools();
const versions = await Promise.all([
  run("/usr/sbin/nginx", ["-v"]).then((r) => (r.stderr || r.stdout).trim().replace("nginx version: ", ""), () => "?"),
  run("haproxy", ["-v"]).then((r) => /version (\S+)/.exec(r.stdout)?.[1] ?? "?", () => "?"),
]);
const startedAt = new Date();
const loadStart = loadAverage();
console.log(`# switchyard bench, ${startedAt.toISOString()}`);
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "?"}; Node ${process.version}; nginx ${versions[0]}; HAProxy ${versions[1]}`);
console.log(`command: npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""} (BENCH_SECONDS=${BENCH_SECONDS} BENCH_ROUNDS=${BENCH_ROUNDS} BENCH_WARMUP_SECONDS=${BENCH_WARMUP_SECONDS} BENCH_CONNECTIONS=${BENCH_CONNECTIONS}); proxies on CPU ${BENCH_PROXY_CPU}, load + origin on CPU ${BENCH_LOAD_CPU}`);
console.log(`load average at start: ${loadStart}`);

const origin = await startOrigin();
const results = new Map<TName, TScenarioResult>();
const failed: TName[] = [];
try {
  for (const name of wanted) {
    const s = SCENARIOS[name];
    try {
      const result = await s.run(origin.port);
      results.set(name, result);
      printTable(`${name}: ${s.title}`, result);
    } catch (err) {
      // One broken scenario must not cost the others' figures; the exit code says it failed.
      failed.push(name);
      console.log(`\n## ${name}: FAILED\n\n${(err as Error).stack ?? String(err)}`);
    }
  }
} finally {
  await stop(origin.child);
}
printTargets();
console.log(`\nload average at end: ${loadAverage()}; total ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s`);
if (failed.length) console.log(`failed scenarios: ${failed.join(", ")}`);
process.exit(failed.length ? 1 : 0);

function usPerReq(r: TRow): number | null {
  return r.cpuSeconds !== null && r.requests > 0 ? (r.cpuSeconds / r.requests) * 1e6 : null;
}

function printTable(title: string, result: TScenarioResult): void {
  const { rows } = result;
  const nginx = rows.find((r) => r.target.startsWith("nginx"));
  const nodePeers = rows.filter((r) => NODE_PEERS.includes(r.target));
  // "Best" Node peer: the one using the least CPU per request.
  const bestNode = nodePeers.reduce<TRow | null>((best, r) => (best === null || (usPerReq(r) ?? Infinity) < (usPerReq(best) ?? Infinity) ? r : best), null);
  const f = (v: number | null, d = 0) => (v === null || !Number.isFinite(v) ? "-" : v.toFixed(d));
  const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? "-" : (a / b).toFixed(2));
  console.log(`\n## ${title}\n${result.note}\n`);
  console.log("| target | req/s | p50 ms | p99 ms | errors | proxy CPU s | µs CPU/req | req per CPU-s | req/CPU-s vs nginx | req/CPU-s vs best Node peer | p99 vs nginx |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of rows) {
    const us = usPerReq(r);
    const perCpu = us ? 1e6 / us : null;
    const nginxPer = nginx && usPerReq(nginx) ? 1e6 / (usPerReq(nginx) as number) : null;
    const bestPer = bestNode && usPerReq(bestNode) ? 1e6 / (usPerReq(bestNode) as number) : null;
    console.log(
      `| ${r.target} | ${f(r.rps)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${r.errors} | ${f(r.cpuSeconds, 2)} | ${f(us, 1)} | ${f(perCpu)} | ${ratio(perCpu, nginxPer)} | ${ratio(perCpu, bestPer)} | ${nginx ? ratio(r.p99, nginx.p99) : "-"} |`,
    );
  }
  for (const line of result.extra ?? []) console.log(`\n${line}`);
}

/** The issue #9 targets, from this run's figures. */
function printTargets(): void {
  const lines: string[] = [];
  const verdict = (ok: boolean) => (ok ? "MET" : "NOT MET");
  const h1 = results.get("h1-small");
  if (h1) {
    const by = (name: string) => h1.rows.find((r) => r.target === name);
    const sy = by("switchyard");
    const bare = by("bare node:http + undici");
    const fastify = by("@fastify/http-proxy");
    const nginx = by("nginx (1 worker)");
    const us = sy ? usPerReq(sy) : null;
    if (us !== null) {
      lines.push(`- proxy CPU per request (HTTP/1.1 100 B, routing + metrics + access log on) <= 35 µs: ${us.toFixed(1)} µs, ${verdict(us <= 35)}`);
      const b = bare ? usPerReq(bare) : null;
      if (b !== null) lines.push(`- >= 1.3x less CPU per request than bare node:http + undici: ${(b / us).toFixed(2)}x (${b.toFixed(1)} µs), ${verdict(b / us >= 1.3)}`);
      const fa = fastify ? usPerReq(fastify) : null;
      if (fa !== null) lines.push(`- >= 2x less CPU per request than @fastify/http-proxy: ${(fa / us).toFixed(2)}x (${fa.toFixed(1)} µs), ${verdict(fa / us >= 2)}`);
    }
    if (sy && nginx && nginx.p99 > 0) lines.push(`- p99 at ${BENCH_CONNECTIONS} connections <= 1.5x nginx (1 worker): ${sy.p99.toFixed(2)} ms vs ${nginx.p99.toFixed(2)} ms = ${(sy.p99 / nginx.p99).toFixed(2)}x, ${verdict(sy.p99 <= 1.5 * nginx.p99)}`);
  }
  const routing = results.get("routing");
  if (routing) {
    if (routing.applyMs != null) lines.push(`- 10k-route config compiled and swapped in < 200 ms: ${routing.applyMs.toFixed(1)} ms, ${verdict(routing.applyMs < 200)}`);
    if (routing.rss) {
      const worst = Math.max(routing.rss.loaded, routing.rss.afterLoad);
      lines.push(`- RSS < 150 MiB with the 10k-route config loaded: ${routing.rss.loaded.toFixed(1)} MiB after the swap, ${routing.rss.afterLoad.toFixed(1)} MiB under load, ${verdict(worst < 150)}`);
    }
  }
  // Issue #17: ratios to nginx in the same run, the h2 ceiling, --workers scaling.
  const vsNginx = (name: TName, label: string, within: number) => {
    const rows = results.get(name)?.rows;
    const sy = rows?.find((r) => r.target === "switchyard");
    const nginx = rows?.find((r) => r.target.startsWith("nginx"));
    const a = sy ? usPerReq(sy) : null;
    const b = nginx ? usPerReq(nginx) : null;
    if (a !== null && b !== null) lines.push(`- ${label} within ${within}x of nginx's CPU per request: ${a.toFixed(1)} vs ${b.toFixed(1)} µs = ${(a / b).toFixed(2)}x, ${verdict(a / b <= within)}`);
  };
  vsNginx("h1-small", "HTTP/1.1 100 B", 2.5);
  vsNginx("h1-large", "HTTP/1.1 16 KiB", 2);
  vsNginx("tls-h1", "TLS HTTP/1.1", 2.5);
  for (const name of ["h2c", "tls-h2"] as const) {
    const sy = results.get(name)?.rows.find((r) => r.target === "switchyard");
    const us = sy ? usPerReq(sy) : null;
    if (us !== null) lines.push(`- ${name} <= 60 µs of proxy CPU per request: ${us.toFixed(1)} µs, ${verdict(us <= 60)}`);
    if (sy && sy.errors > 0) lines.push(`- ${name}: ${sy.errors} errors (zero wanted)`);
  }
  for (const [name, r] of results) {
    const sy = r.rows.find((row) => row.target === "switchyard");
    if (sy && sy.errors > 0 && name !== "h2c" && name !== "tls-h2") lines.push(`- ${name}: ${sy.errors} errors (zero wanted)`);
  }
  const workers = results.get("workers")?.workersRatio;
  if (workers != null) lines.push(`- --workers 2 >= 1.7x the req/s of --workers 1: ${workers.toFixed(2)}x, ${verdict(workers >= 1.7)} (load average now ${loadAverage()}; see the scenario's note)`);
  if (lines.length) console.log(`\n## Targets (issues #9 and #17)\n\n${lines.join("\n")}`);
}
