/**
 * `npm run bench:pipeline`: the connection manager's own CPU cost per request, this checkout
 * against BENCH_BASELINE_DIR (a checkout from before issue #14's pipeline), for a route with
 * an empty filter chain and with one filter. Each measurement is a fresh process
 * (bench/pipeline-child.ts: in-memory requests, no sockets, a direct-response route), the
 * targets interleaved for BENCH_ROUNDS rounds; the median is printed as a Markdown table.
 * Also one TypeScript plugin per request (issue #14 item 3; this checkout only: a baseline
 * has no plugins), with a synchronous and an async request phase.
 * Sockets, HTTP parsing and the upstream are the same code before and after, and on a
 * shared machine their noise (tens of µs per request) hides a difference of a few: this
 * isolates what the pipeline changed. `npm run bench -- filter-chain` measures the same
 * configs end to end with wrk.
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { BENCH_BASELINE_DIR, BENCH_ROUNDS } from "./env.ts";

const ROOT = resolve(import.meta.dirname, "..");
const REQUESTS = 300_000;
const roots: [string, string][] = [["this checkout", ROOT]];
if (BENCH_BASELINE_DIR) roots.unshift(["baseline", resolve(BENCH_BASELINE_DIR)]);
const chains = [
  ["empty chain", "empty"],
  ["1 filter (route responseHeaders)", "one"],
  ["1 TypeScript plugin (sync phases)", "plugin"],
  ["1 TypeScript plugin (async request phase)", "plugin-async"],
] as const;
/** Chains a checkout from before plugins cannot run. */
const currentOnly = new Set<string>(["plugin", "plugin-async"]);

function measure(root: string, chain: string): number {
  const r = spawnSync(process.execPath, ["--conditions=@switchyard/source", "--import", "tsx", resolve(ROOT, "bench/pipeline-child.ts"), root, chain, String(REQUESTS)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`pipeline-child failed for ${root} ${chain}: ${r.stderr}`);
  return Number(r.stdout.trim());
}

const samples = new Map<string, number[]>();
const startedAt = new Date();
for (let round = 0; round < BENCH_ROUNDS; round++) {
  for (const [chainLabel, chain] of chains) {
    for (const [label, root] of roots) {
      if (label === "baseline" && currentOnly.has(chain)) continue;
      const key = `${label}|${chainLabel}`;
      samples.set(key, [...(samples.get(key) ?? []), measure(root, chain)]);
    }
  }
}
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
console.log(`# pipeline cost, ${startedAt.toISOString()}; ${REQUESTS} requests per sample, ${BENCH_ROUNDS} rounds; baseline ${BENCH_BASELINE_DIR ?? "(not set)"}`);
console.log("\n| chain | checkout | ns CPU/request (median) | samples | vs baseline |\n| --- | --- | --- | --- | --- |");
for (const [chainLabel] of chains) {
  const base = samples.get(`baseline|${chainLabel}`);
  for (const [label] of roots) {
    const v = samples.get(`${label}|${chainLabel}`);
    if (!v) continue;
    const delta = base && label !== "baseline" ? `${median(v) - median(base) >= 0 ? "+" : ""}${(median(v) - median(base)).toFixed(0)} ns` : "";
    console.log(`| ${chainLabel} | ${label} | ${median(v).toFixed(0)} | ${v.map((x) => x.toFixed(0)).join(" ")} | ${delta} |`);
  }
}
