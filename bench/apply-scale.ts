import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { APPLY_NODE_OPTIONS, APPLY_ROUNDS, setChildNodeOptions } from "./env.ts";
import { freePort, rssMiB, stop } from "./lib.ts";
import { routingConfig, smallConfig, startSwitchyard, waitReady, type TSwitchyard } from "./switchyard.ts";

/**
 * `npm run bench:apply-scale`: the control-plane side of scale (issue #17 item 4) without
 * the load runs of the routing scenario. Per round, one compiled proxy (dist/, plain node:
 * no tsx in its process) boots on the small config and then hot-applies, through its config
 * file, the 10,000-route / 1,000-cluster config (first load), the same with one route
 * changed, with every route's action changed, with every route's match changed (new
 * regexes), and with one cluster changed. A second proxy boots
 * straight on the 10k config. Prints each apply's phase timings (the proxy's own
 * `config_applied` event) and the RSS after it; the median over APPLY_ROUNDS rounds last.
 * APPLY_NODE_OPTIONS goes to the proxies' NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`).
 */

type TStep = { name: string; config: (port: number, origin: number) => unknown };
type TSample = { step: string; durationMs: number; timings: Record<string, number>; rssMiB: number; heapMiB: number };

/** V8 heap in use, MiB, from the proxy's own metrics (prom-client's default nodejs_heap_size_used_bytes). */
async function heapUsedMiB(adminPort: number): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${adminPort}/stats/prometheus`).then((r) => r.text());
  const m = /^nodejs_heap_size_used_bytes (\d+)/m.exec(text);
  return m ? Number(m[1]) / 1048576 : 0;
}

async function memory(proxy: TSwitchyard): Promise<{ rssMiB: number; heapMiB: number }> {
  return { rssMiB: rssMiB(proxy.child.pid as number), heapMiB: await heapUsedMiB(proxy.adminPort) };
}

/** Route `i` of the 10k table with `tag` in its path: a changed route (new match, same action). */
function retagRoute(config: unknown, pick: (i: number) => boolean, tag: string): unknown {
  const c = config as { routeConfigs: { virtualHosts: { routes: { name: string; match: { prefix?: string; regex?: string } }[] }[] }[] };
  const routes = c.routeConfigs[0]!.virtualHosts[0]!.routes;
  routes.forEach((r, i) => {
    if (!pick(i) || r.name === "fallback") return;
    r.match = r.match.prefix !== undefined ? { prefix: r.match.prefix.replace(/\/$/, `${tag}/`) } : { regex: `${tag}${r.match.regex}` };
  });
  return config;
}

const STEPS: TStep[] = [
  { name: "10k first load (hot, from the small config)", config: (p, o) => routingConfig(p, o) },
  { name: "10k, one route changed", config: (p, o) => retagRoute(routingConfig(p, o), (i) => i === 9876, "-b") },
  {
    name: "10k, every route's action changed (same matches)",
    config: (p, o) => {
      const c = retagRoute(routingConfig(p, o), (i) => i === 9876, "-b") as { routeConfigs: { virtualHosts: { routes: { route?: { timeoutMs?: number } }[] }[] }[] };
      for (const r of c.routeConfigs[0]!.virtualHosts[0]!.routes) if (r.route) r.route.timeoutMs = 20_000;
      return c;
    },
  },
  { name: "10k, every route changed (new matches, 5,000 new regexes)", config: (p, o) => retagRoute(routingConfig(p, o), () => true, "-c") },
  {
    name: "10k, one cluster changed",
    config: (p, o) => {
      const c = retagRoute(routingConfig(p, o), () => true, "-c") as { clusters: { connectTimeoutMs?: number }[] };
      c.clusters[500]!.connectTimeoutMs = 1234;
      return c;
    },
  },
];

/**
 * The resident set is read this long after an apply: the proxy collects 1 s and 5 s after
 * it (runtime/young-generation.ts) and V8 hands the freed pages back to the OS about ten
 * seconds after its last collection.
 */
const SETTLE_MS = 16_000;
const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));

async function applyVia(proxy: TSwitchyard, version: number, config: unknown): Promise<Omit<TSample, "step">> {
  await writeFile(proxy.file, JSON.stringify(config));
  await waitReady(proxy.adminPort, version);
  const applied = proxy.events.find((e) => e.event === "config_applied" && e.version === version);
  if (!applied) throw new Error(`no config_applied event for version ${version}`);
  await settle();
  return { durationMs: applied.durationMs as number, timings: applied.timings as Record<string, number>, ...(await memory(proxy)) };
}

function assertCompiledRun(): void {
  if (!existsSync(join("apps/proxy/dist/main.js"))) throw new Error("apps/proxy/dist/main.js missing: run `npm run build` first (the measured proxy runs compiled JavaScript)");
  if (/tsx|@switchyard\/source/.test(APPLY_NODE_OPTIONS)) throw new Error("APPLY_NODE_OPTIONS must not load tsx or the source condition");
}

async function round(origin: number): Promise<TSample[]> {
  setChildNodeOptions(APPLY_NODE_OPTIONS);
  const samples: TSample[] = [];
  const hot = await startSwitchyard((port) => smallConfig(port, origin));
  try {
    const boot = hot.events.find((e) => e.event === "config_applied" && e.version === 1);
    await settle();
    samples.push({ step: "small config (boot)", durationMs: boot?.durationMs as number, timings: boot?.timings as Record<string, number>, ...(await memory(hot)) });
    let version = 1;
    for (const step of STEPS) samples.push({ step: step.name, ...(await applyVia(hot, ++version, step.config(hot.port, origin))) });
  } finally {
    await stop(hot.child);
  }
  const cold = await startSwitchyard((port) => routingConfig(port, origin));
  try {
    const boot = cold.events.find((e) => e.event === "config_applied" && e.version === 1);
    await settle();
    samples.push({ step: "10k at boot", durationMs: boot?.durationMs as number, timings: boot?.timings as Record<string, number>, ...(await memory(cold)) });
  } finally {
    await stop(cold.child);
  }
  return samples;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};
const fmt = (s: Omit<TSample, "step">): string =>
  `apply ${s.durationMs?.toFixed(1)} ms (${Object.entries(s.timings ?? {}).map(([k, v]) => `${k.replace(/Ms$/, "")} ${v.toFixed(1)}`).join(", ")}), RSS ${s.rssMiB.toFixed(1)} MiB (V8 heap used ${s.heapMiB.toFixed(1)})`;

assertCompiledRun();
// Nothing listens there: the 10k config's clusters are never dialled by this bench.
const origin = await freePort();
const rounds: TSample[][] = [];
for (let i = 0; i < APPLY_ROUNDS; i++) {
  const samples = await round(origin);
  rounds.push(samples);
  console.log(`round ${i + 1}`);
  for (const s of samples) console.log(`  ${s.step}: ${fmt(s)}`);
}
console.log(`median of ${APPLY_ROUNDS} round(s):`);
for (const [n, first] of (rounds[0] ?? []).entries()) {
  const all = rounds.map((r) => r[n] as TSample);
  const timings = Object.fromEntries(Object.keys(first.timings ?? {}).map((k) => [k, median(all.map((s) => s.timings[k] ?? 0))]));
  console.log(`  ${first.step}: ${fmt({ durationMs: median(all.map((s) => s.durationMs)), timings, rssMiB: median(all.map((s) => s.rssMiB)), heapMiB: median(all.map((s) => s.heapMiB)) })}`);
}
