/**
 * `npm run bench`: runs each scenario (bench/scenarios/*.ts) against switchyard-proxy and
 * nginx in the same run, on loopback, and prints req/s, p50/p99 and the ratio to nginx.
 * Benchmarks are never unit tests. Needs h2load (nghttp2-client), wrk and nginx: they
 * are installed with apt-get when missing. `BENCH_SECONDS` (default 10) per run.
 * Usage: tsx bench/run.ts [scenario...]   (default: every scenario)
 */
import { ensureTools } from "./lib.ts";
import { h2cScenario } from "./scenarios/h2c.ts";
import { tlsScenario } from "./scenarios/tls.ts";

const scenarios = { h2c: h2cScenario, tls: tlsScenario } as const;
const wanted = process.argv.slice(2).filter((a) => a in scenarios) as (keyof typeof scenarios)[];
await ensureTools();
for (const name of wanted.length ? wanted : (Object.keys(scenarios) as (keyof typeof scenarios)[])) {
  const rows = await scenarios[name]();
  const nginx = rows.find((r) => r.target === "nginx");
  console.log(`\n## ${name}`);
  console.log("| target | req/s | p50 ms | p99 ms | vs nginx |\n| --- | --- | --- | --- | --- |");
  for (const r of rows) {
    const ratio = nginx && nginx.rps > 0 ? (r.rps / nginx.rps).toFixed(2) : "-";
    console.log(`| ${r.target} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${ratio} |`);
  }
}
process.exit(0);
