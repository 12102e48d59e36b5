/**
 * `npm run bench:startup`: the proxy's start-to-ready time and idle RSS, run from the
 * TypeScript sources through tsx (how it ran before issue #16) and from the compiled
 * dist/ (`npm run build`; production, the images). Standalone, one worker, a small
 * config; each mode ROUNDS times, interleaved; medians printed as a Markdown table.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CHILD_ENV, CHILD_NODE_OPTIONS, STARTUP_ROUNDS } from "./env.ts";

const ROOT = resolve(import.meta.dirname, "..");
const BIN = join(ROOT, "apps/proxy/bin/switchyard-proxy.js");
const ROUNDS = STARTUP_ROUNDS;
const IDLE_MS = 5_000;

function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

/** CPU seconds (user + system) the process has used: /proc/PID/stat fields 14 and 15, in clock ticks (100 Hz). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

type TRun = { readyMs: number; cpuMs: number; rssMiB: number };

async function once(mode: "source" | "compiled"): Promise<TRun> {
  const dir = mkdtempSync(join(tmpdir(), "swy-startup-"));
  const [listen, admin] = [await freePort(), await freePort()];
  const file = join(dir, "config.yaml");
  writeFileSync(file, `listeners: [{ name: l, address: 127.0.0.1, port: ${listen}, routeConfig: r }]
routeConfigs: [{ name: r, virtualHosts: [{ name: v, domains: ["*"], routes: [{ name: x, match: { prefix: / }, route: { cluster: c } }] }] }]
clusters: [{ name: c, endpoints: [{ address: 127.0.0.1, port: 9 }] }]
`);
  const nodeOptions = [...CHILD_NODE_OPTIONS];
  if (mode === "source") nodeOptions.push("--conditions=@switchyard/source");
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, "--config", file, "--admin", `127.0.0.1:${admin}`, "--workers", "1"], { env: { ...CHILD_ENV, NODE_OPTIONS: nodeOptions.join(" ") }, stdio: "ignore" });
  let readyMs = NaN;
  let cpu = NaN;
  while (performance.now() - started < 60_000) {
    const ok = await fetch(`http://127.0.0.1:${admin}/ready`).then((r) => r.ok, () => false);
    if (ok) {
      readyMs = performance.now() - started;
      cpu = cpuMs(child.pid!);
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1]);
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  return { readyMs, cpuMs: cpu, rssMiB: rssKiB / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = { source: [] as TRun[], compiled: [] as TRun[] };
for (let i = 0; i < ROUNDS; i++) for (const mode of ["source", "compiled"] as const) results[mode].push(await once(mode));
// Wall time to ready moves with the machine's load; the CPU the process spent getting there does not.
console.log("| proxy started from | start to ready, wall (median ms) | CPU to ready (median ms) | idle RSS after 5 s (median MiB) |");
console.log("| --- | --- | --- | --- |");
for (const mode of ["source", "compiled"] as const) {
  const label = mode === "source" ? "TypeScript sources through tsx (before)" : "compiled dist/ (after, production)";
  console.log(`| ${label} | ${Math.round(median(results[mode].map((r) => r.readyMs)))} | ${Math.round(median(results[mode].map((r) => r.cpuMs)))} | ${median(results[mode].map((r) => r.rssMiB)).toFixed(1)} |`);
}
