/**
 * npm run bench:control-plane -- --nodes N --seconds S [--routes R] [--url URL --token API_TOKEN [--node-token T]] [--prometheus-url URL] [--json]
 *
 * N simulated proxy nodes on one console's /api/xds, speaking the real protocol through
 * the proxy's own code: its control-plane client (hello, snapshots, acks, reconnects, the
 * bounded telemetry queue), its StatsWindow (the per-route and per-cluster histograms a
 * proxy records) and its telemetry reporter (a stats frame every 5 s). Only the requests
 * are synthetic: each node records R routes' worth of requests per second with log-normal
 * latencies into its window. Without --url the bench starts its own embedded PostgreSQL
 * and a console (`apps/web/server.ts`, SWITCHYARD_CONSOLE_UI=off) and stops both after.
 *
 * Prints connect, fan-out, ingest, lag, console CPU and RSS, and the REST latencies of
 * GET /api/v1/metrics/routes?window=300 and GET /api/v1/nodes sampled during the run;
 * with --json the last line is one JSON object with the same figures.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startEmbeddedPostgres, runningServerPid } from "../packages/db/src/embedded.ts";
import { migrateDatabase } from "../packages/db/src/migrate.ts";
import { startControlPlaneClient, type TControlPlaneClient } from "../apps/proxy/src/control-plane/client.ts";
import { StatsWindow } from "../apps/proxy/src/observability/stats-window.ts";
import { startTelemetryReporter, type TTelemetryReporter } from "../apps/proxy/src/observability/telemetry-reporter.ts";
import { findFreePort } from "../packages/db/src/embedded.ts";
import { CHILD_ENV, CP_BENCH_DEBUG, CP_BENCH_SECRET_KEY, CP_BENCH_STATS_INTERVAL_MS } from "./env.ts";

const ROOT = resolve(import.meta.dirname, "..");

const { values: args } = parseArgs({
  options: {
    nodes: { type: "string", default: "50" },
    seconds: { type: "string", default: "60" },
    routes: { type: "string", default: "20" },
    /** Requests each node records per route per second (they make the histograms). */
    rps: { type: "string", default: "10" },
    url: { type: "string" },
    token: { type: "string" },
    "node-token": { type: "string" },
    /** The console it starts runs in Prometheus mode against this server (stats frames counted, not stored). */
    "prometheus-url": { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const NODES = Number(args.nodes);
const SECONDS = Number(args.seconds);
const ROUTES = Number(args.routes);
const RPS_PER_ROUTE = Number(args.rps);
const CLUSTERS = 2;

type TConsole = { url: string; token: string; nodeToken: string | undefined; stop(): Promise<void> };

/** An embedded PostgreSQL in a throw-away data dir, and the console on it (pages off: no build needed). */
async function startOwnConsole(): Promise<TConsole> {
  const dataDir = join(ROOT, `.data/bench-cp-${process.pid}`);
  const pgServer = await startEmbeddedPostgres({ dataDir });
  await migrateDatabase(pgServer.url);
  const port = await findFreePort();
  const token = `swy_bench_${randomBytes(12).toString("hex")}`;
  const nodeToken = `swy_bench_node_${randomBytes(12).toString("hex")}`;
  const child = spawn(process.execPath, ["--conditions=@switchyard/source", "--import", "tsx", "server.ts"], {
    cwd: join(ROOT, "apps/web"),
    env: {
      ...CHILD_ENV,
      DATABASE_URL: pgServer.url,
      PORT: String(port),
      HOST: "127.0.0.1",
      SWITCHYARD_API_TOKEN: token,
      SWITCHYARD_NODE_TOKEN: nodeToken,
      SWITCHYARD_SECRET_KEY: CP_BENCH_SECRET_KEY,
      SWITCHYARD_CONSOLE_UI: "off",
      SWITCHYARD_LOG_LEVEL: "warn",
      ...(args["prometheus-url"] ? { SWITCHYARD_PROMETHEUS_URL: args["prometheus-url"] } : {}),
      NODE_ENV: "production",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child);
    await pgServer.stop();
    await rm(pgServer.dataDir, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => (await fetch(`${url}/api/v1/healthz`)).ok, 120_000, () => `console did not come up:\n${stderr}`);
  } catch (err) {
    await stop();
    throw err;
  }
  pgPid = await runningServerPid(pgServer.dataDir);
  consolePid = child.pid ?? null;
  return { url, token, nodeToken, stop };
}

let consolePid: number | null = null;
let pgPid: number | null = null;

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    await sleep(200);
  }
  throw new Error(why());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The bench config: one listener, R prefix routes over 2 static clusters. `tag` changes a header so each publish is a new version. */
function benchConfig(tag: string) {
  return {
    listeners: [{ name: "public", address: "127.0.0.1", port: 18080, protocol: "http", routeConfig: "main" }],
    routeConfigs: [
      {
        name: "main",
        virtualHosts: [
          {
            name: "all",
            domains: ["*"],
            routes: Array.from({ length: ROUTES }, (_, i) => ({
              name: `route-${i}`,
              match: { prefix: `/r${i}` },
              route: { cluster: `cluster-${i % CLUSTERS}` },
              requestHeaders: { add: [{ name: "x-bench", value: tag }] },
            })),
          },
        ],
      },
    ],
    clusters: Array.from({ length: CLUSTERS }, (_, i) => ({ name: `cluster-${i}`, discovery: "static", endpoints: [{ address: "127.0.0.1", port: 19000 + i }] })),
  };
}

async function api(c: TConsole, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${c.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${c.token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, ms };
}

async function publish(c: TConsole, tag: string): Promise<number> {
  const put = await api(c, "PUT", "/config", benchConfig(tag));
  if (put.status >= 300) throw new Error(`PUT /config: ${put.status} ${JSON.stringify(put.json).slice(0, 500)}`);
  const pub = await api(c, "POST", "/versions", { message: `bench ${tag}` });
  if (pub.status >= 300) throw new Error(`POST /versions: ${pub.status} ${JSON.stringify(pub.json).slice(0, 500)}`);
  return (pub.json as { version: number }).version;
}

/** The console's own Prometheus text, as name{labels} -> value. */
async function scrape(c: TConsole): Promise<Map<string, number>> {
  const text = await (await fetch(`${c.url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Stats entries the console has stored (counted when they are durable), or taken in and not stored (Prometheus mode). */
function storedEntries(m: Map<string, number>): number {
  const notStored = m.get("switchyard_console_stats_entries_total{result=\"not_stored\"}");
  if (notStored !== undefined) return notStored;
  return m.get("switchyard_console_stats_entries_total{result=\"stored\"}") ?? m.get("switchyard_console_telemetry_rows_total{table=\"StatsBucket\"}") ?? 0;
}

/** CPU seconds (utime + stime) of a process and its children's live processes (PostgreSQL backends). */
async function cpuSeconds(pid: number, withChildren: boolean): Promise<number> {
  const { readFile, readdir } = await import("node:fs/promises");
  const tick = 100;
  const statOf = async (p: number | string) => {
    const s = await readFile(`/proc/${p}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / tick };
  };
  let total = (await statOf(pid)).cpu;
  if (withChildren) {
    for (const e of await readdir("/proc")) {
      if (!/^\d+$/.test(e)) continue;
      try {
        const s = await statOf(e);
        if (s.ppid === pid) total += s.cpu;
      } catch {
        // gone
      }
    }
  }
  return total;
}

function pct(sorted: number[], q: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}
const r1 = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);

/** Log-normal latencies around 8 ms (sigma 0.6), drawn from a precomputed table so the bench's own CPU stays small. */
const LATENCIES = Array.from({ length: 4096 }, () => {
  const z = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  return Math.exp(Math.log(8) + 0.6 * z);
});

type TNode = { id: string; client: TControlPlaneClient; window: StatsWindow; reporter: TTelemetryReporter; firstApplyAt: number | null; applied: Map<number, number> };

async function main(): Promise<void> {
  const own = args.url ? null : await startOwnConsole();
  const c: TConsole = own ?? { url: args.url!.replace(/\/$/, ""), token: args.token ?? "", nodeToken: args["node-token"], stop: async () => {} };
  const wsUrl = `${c.url.replace(/^http/, "ws")}/api/xds`;
  const stats = { framesSent: 0, entriesSent: 0, bytesSampled: 0, framesSampled: 0 };
  const nodes: TNode[] = [];
  let closing = false;
  try {
    await publish(c, "v1");
    const m0 = await scrape(c);
    const entries0 = storedEntries(m0);

    // Connect: every node says hello, gets the snapshot, acks.
    const connectStart = performance.now();
    for (let i = 0; i < NODES; i++) {
      const node: TNode = { id: `bench-${i}`, client: null!, window: new StatsWindow(), reporter: null!, firstApplyAt: null, applied: new Map() };
      let applied: { version: number; hash: string } | null = null;
      node.client = startControlPlaneClient({
        url: wsUrl,
        nodeId: node.id,
        group: i % 10 === 0 ? "canary" : "default",
        ...(c.nodeToken ? { token: c.nodeToken } : {}),
        proxyVersion: "bench",
        getApplied: () => applied,
        apply: async (s) => {
          applied = { version: s.version, hash: s.hash };
          const now = performance.now();
          node.firstApplyAt ??= now;
          node.applied.set(s.version, now);
          return { ok: true };
        },
        log: i === 0 && CP_BENCH_DEBUG ? (e, f) => console.error(e, f) : () => undefined,
      });
      const sender = {
        send: (m: { type: "stats" | "health" | "spans" } & Record<string, unknown>) => {
          if (m.type === "stats" && !closing) {
            stats.framesSent++;
            stats.entriesSent += statsEntryCount(m);
            // Frame size on a sample (stringifying every frame twice would load the bench itself).
            if (stats.framesSampled < 50 && statsEntryCount(m) >= ROUTES) {
              stats.framesSampled++;
              stats.bytesSampled += Buffer.byteLength(JSON.stringify(m));
            }
          }
          return node.client.sendTelemetry(m);
        },
        takeDropped: () => node.client.takeDropped(),
        // As a real node does: a console that asks for longer windows (statsPace) gets them.
        pace: () => node.client.statsPace(),
      };
      node.reporter = startTelemetryReporter(node.window, sender, CP_BENCH_STATS_INTERVAL_MS);
      nodes.push(node);
    }
    await waitFor(() => nodes.every((n) => n.firstApplyAt !== null), 300_000, () => `${nodes.filter((n) => n.firstApplyAt === null).length} nodes got no snapshot`);
    const connectTimes = nodes.map((n) => (n.firstApplyAt as number) - connectStart).sort((a, b) => a - b);

    // Traffic: every 250 ms each node records its share of requests on every route.
    let draw = 0;
    const perTick = Math.max(1, Math.round((RPS_PER_ROUTE * 250) / 1000));
    const traffic = setInterval(() => {
      for (const n of nodes) {
        for (let r = 0; r < ROUTES; r++) {
          const cluster = `cluster-${r % CLUSTERS}`;
          const route = `route-${r}`;
          for (let k = 0; k < perTick; k++) {
            const ms = LATENCIES[draw++ & 4095] as number;
            const status = draw % 97 === 0 ? 503 : 200;
            n.window.record("public", route, cluster, status, ms, 200, 1200);
          }
        }
      }
    }, 250);

    // Fan-out: one more version, timed from the publish call to each node's apply.
    const fanStart = performance.now();
    const v2 = await publish(c, "v2");
    await waitFor(() => nodes.every((n) => n.applied.has(v2)), 120_000, () => "fan-out did not reach every node");
    const fanout = nodes.map((n) => (n.applied.get(v2) as number) - fanStart).sort((a, b) => a - b);

    // Measured period: API latencies sampled back to back, CPU and RSS at both ends.
    const mStart = await scrape(c);
    const cpu0 = consolePid ? await cpuSeconds(consolePid, false) : (mStart.get("process_cpu_seconds_total") ?? 0);
    const db0 = pgPid ? await cpuSeconds(pgPid, true) : null;
    const rssStart = mStart.get("process_resident_memory_bytes") ?? 0;
    const storedStart = storedEntries(mStart);
    const sentStart = stats.entriesSent;
    const t0 = performance.now();
    const sim0 = process.cpuUsage();
    // The prober runs in a process of its own: the simulated nodes' work never delays its timings.
    const probed = await probeApi(c, SECONDS);
    const routesMs = probed.routes;
    const nodesMs = probed.nodes;
    const apiErrors = probed.errors;
    const elapsedS = (performance.now() - t0) / 1000;
    const sim = process.cpuUsage(sim0);
    const mEnd = await scrape(c);
    const cpu1 = consolePid ? await cpuSeconds(consolePid, false) : (mEnd.get("process_cpu_seconds_total") ?? 0);
    const db1 = pgPid ? await cpuSeconds(pgPid, true) : null;
    const rssEnd = mEnd.get("process_resident_memory_bytes") ?? 0;
    const storedEnd = storedEntries(mEnd);
    const sentInPeriod = stats.entriesSent - sentStart;

    // Lag: stop the traffic, send the open windows, and time until the console has stored everything sent.
    clearInterval(traffic);
    for (const n of nodes) n.reporter.flush();
    closing = true;
    const totalSent = stats.entriesSent;
    const lagStart = performance.now();
    let lagSeconds: number | null = null;
    try {
      await waitFor(async () => storedEntries(await scrape(c)) - entries0 >= totalSent, 120_000, () => "not stored within 120 s");
      lagSeconds = (performance.now() - lagStart) / 1000;
    } catch {
      lagSeconds = null;
    }
    const storedFinal = storedEntries(await scrape(c)) - entries0;

    routesMs.sort((a, b) => a - b);
    nodesMs.sort((a, b) => a - b);
    const result = {
      nodes: NODES,
      routes: ROUTES,
      seconds: SECONDS,
      connectP50Ms: r1(pct(connectTimes, 0.5)),
      connectMaxMs: r1(pct(connectTimes, 1)),
      fanoutP50Ms: r1(pct(fanout, 0.5)),
      fanoutMaxMs: r1(pct(fanout, 1)),
      statsFrameBytes: stats.framesSampled ? Math.round(stats.bytesSampled / stats.framesSampled) : null,
      entriesSentPerSecond: r1(sentInPeriod / elapsedS),
      ingestEntriesPerSecond: r1((storedEnd - storedStart) / elapsedS),
      entriesSent: totalSent,
      entriesStored: storedFinal,
      lagSeconds: lagSeconds === null ? null : r1(lagSeconds),
      consoleCpuPercent: r1(((cpu1 - cpu0) / elapsedS) * 100),
      // The simulator's own process: near 100 % it is the bottleneck, and connect / fan-out include its delays.
      simulatorCpuPercent: r1(((sim.user + sim.system) / 1e6 / elapsedS) * 100),
      databaseCpuPercent: db0 === null || db1 === null ? null : r1(((db1 - db0) / elapsedS) * 100),
      // prom-client's event-loop delay p99 (since the console started): high with low CPU = waiting for a core, not our work.
      consoleEventLoopP99Ms: r1((mEnd.get("nodejs_eventloop_lag_p99_seconds") ?? 0) * 1000),
      consoleRssMiBStart: r1(rssStart / 2 ** 20),
      consoleRssMiBEnd: r1(rssEnd / 2 ** 20),
      metricsRoutesP50Ms: r1(pct(routesMs, 0.5)),
      metricsRoutesP99Ms: r1(pct(routesMs, 0.99)),
      nodesListP50Ms: r1(pct(nodesMs, 0.5)),
      nodesListP99Ms: r1(pct(nodesMs, 0.99)),
      apiSamples: routesMs.length,
      apiErrors: apiErrors.length,
      loadAverage: loadavg().map((l) => Math.round(l * 10) / 10),
      at: new Date().toISOString(),
    };
    const lines = [
      `nodes ${NODES} x ${ROUTES} routes + ${CLUSTERS} clusters, stats every ${CP_BENCH_STATS_INTERVAL_MS / 1000} s, measured ${SECONDS} s (load average ${result.loadAverage.join(" ")})`,
      `connect      p50 ${result.connectP50Ms} ms, last ${result.connectMaxMs} ms (hello -> snapshot applied)`,
      `fan-out      p50 ${result.fanoutP50Ms} ms, last ${result.fanoutMaxMs} ms (publish -> applied)`,
      `stats frame  ${result.statsFrameBytes} bytes (mean of ${stats.framesSampled} full frames)`,
      `ingest       ${result.ingestEntriesPerSecond} entries/s stored of ${result.entriesSentPerSecond} sent/s; ${storedFinal}/${totalSent} stored at the end`,
      `lag          ${result.lagSeconds === null ? "not caught up within 120 s" : `${result.lagSeconds} s`} from the last frame to all stored`,
      `console      CPU ${result.consoleCpuPercent}% of a core, RSS ${result.consoleRssMiBStart} -> ${result.consoleRssMiBEnd} MiB, event-loop delay p99 ${result.consoleEventLoopP99Ms} ms; database CPU ${result.databaseCpuPercent ?? "-"}%; simulator CPU ${result.simulatorCpuPercent}%`,
      `api          metrics/routes?window=300 p50 ${result.metricsRoutesP50Ms} ms p99 ${result.metricsRoutesP99Ms} ms; nodes p50 ${result.nodesListP50Ms} ms p99 ${result.nodesListP99Ms} ms (${result.apiSamples} samples, ${result.apiErrors} errors)`,
    ];
    for (const l of lines) console.log(l);
    if (args.json) console.log(JSON.stringify(result));
  } finally {
    closing = true;
    for (const n of nodes) n.reporter.close();
    await Promise.all(nodes.map((n) => n.client.close()));
    await own?.stop();
  }
}

async function probeApi(c: TConsole, seconds: number): Promise<{ routes: number[]; nodes: number[]; errors: string[] }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "bench/api-prober.ts"), "--url", c.url, "--token", c.token, "--seconds", String(seconds)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((r) => child.once("exit", () => r()));
  return JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as { routes: number[]; nodes: number[]; errors: string[] };
}

/** Entries in a stats message, in either wire form (entries[], or routes[] + clusters[]). */
function statsEntryCount(m: Record<string, unknown>): number {
  const len = (v: unknown) => (Array.isArray(v) ? v.length : 0);
  return len(m.entries) + len(m.routes) + len(m.clusters);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
