/**
 * Soak: the console, one managed proxy and real upstreams as processes, with mixed traffic
 * (HTTP/1.1, h2c, WebSocket, gRPC) for SOAK_MINUTES (default 30), a config publish every
 * 10 s and endpoint churn (eds pushes every 5 s). Reports requests, failures, RSS and open
 * file descriptors (sockets, pipes, files: the process's handles) of the proxy and the
 * console at start and end, and the console database's size and row counts.
 *
 *   SOAK_MINUTES=30 npm run test:soak          (DATABASE_URL: a server to create a fresh db on;
 *                                               unset: an embedded PostgreSQL of its own)
 *
 * Exits 1 on any unexpected failure. Appends its figures to test/hardening/RESULTS.md.
 * Everything listens on and talks to 127.0.0.1 only; every loop stops at the deadline.
 */
import { appendFile, chmod, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import pg from "pg";
import WebSocket, { WebSocketServer } from "ws";
import { startEmbeddedPostgres, type TEmbeddedPostgres } from "@switchyard/db";
import { startConsole, freePort, type TConsoleHandle } from "../../apps/web/test/helpers/start-console.ts";
import { startProxy, type TProxyProcess } from "../../apps/proxy/test/helpers/start-proxy.ts";

const MINUTES = Number(process.env.SOAK_MINUTES ?? "30");
const PUBLISH_EVERY_MS = 10_000;
const CHURN_EVERY_MS = 5_000;
const SAMPLE_EVERY_MS = 30_000;
const WARMUP_MS = Math.min(30_000, MINUTES * 60_000 * 0.1);
const RESULTS = resolve(import.meta.dirname, "RESULTS.md");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type TStats = { requests: number; failures: number; failureSamples: string[] };
const stats: Record<"http1" | "h2" | "ws" | "grpc" | "publish" | "churn", TStats> = {
  http1: { requests: 0, failures: 0, failureSamples: [] },
  h2: { requests: 0, failures: 0, failureSamples: [] },
  ws: { requests: 0, failures: 0, failureSamples: [] },
  grpc: { requests: 0, failures: 0, failureSamples: [] },
  publish: { requests: 0, failures: 0, failureSamples: [] },
  churn: { requests: 0, failures: 0, failureSamples: [] },
};
function fail(kind: keyof typeof stats, why: string): void {
  stats[kind].failures++;
  if (stats[kind].failureSamples.length < 10) stats[kind].failureSamples.push(`${new Date().toISOString()} ${why}`);
}

/** RSS (KiB) and open fds of a process and all its descendants (tsx wrappers, workers). */
async function treeUsage(pid: number): Promise<{ rssKiB: number; fds: number; pids: number }> {
  const pids = [pid];
  for (let i = 0; i < pids.length && i < 64; i++) {
    try {
      const tasks = await readdir(`/proc/${pids[i]}/task`);
      for (const t of tasks) {
        const children = (await readFile(`/proc/${pids[i]}/task/${t}/children`, "utf8")).trim();
        if (children) pids.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // gone
    }
  }
  let rssKiB = 0;
  let fds = 0;
  for (const p of pids) {
    try {
      rssKiB += Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${p}/status`, "utf8"))?.[1] ?? 0);
      fds += (await readdir(`/proc/${p}/fd`)).length;
    } catch {
      // gone
    }
  }
  return { rssKiB, fds, pids: pids.length };
}

async function main(): Promise<void> {
  const started = new Date();
  const deadline = Date.now() + MINUTES * 60_000;
  let pgDir: string | null = null;
  let embedded: TEmbeddedPostgres | null = null;
  if (!process.env.DATABASE_URL) {
    pgDir = await mkdtemp(join(tmpdir(), "switchyard-soak-pg-"));
    await chmod(pgDir, 0o755);
    embedded = await startEmbeddedPostgres({ dataDir: join(pgDir, "data"), port: await freePort() });
  }

  // Upstreams: two HTTP/1.1 (churned between), WebSocket echo, gRPC echo (h2c).
  const httpPorts: number[] = [];
  const httpServers = [];
  for (let i = 0; i < 3; i++) {
    const s = createHttpServer((req, res) => {
      req.resume();
      req.on("end", () => res.end(`ok ${i}`));
    });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
    httpServers.push(s);
    httpPorts.push((s.address() as { port: number }).port);
  }
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  wss.on("connection", (ws) => {
    ws.on("message", (m) => ws.send(m));
    ws.on("error", () => undefined);
  });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  const wsPort = (wss.address() as { port: number }).port;
  const passthrough = (b: Buffer) => b;
  const echoDef = {
    Echo: { path: "/soak.Echo/Echo", requestStream: false, responseStream: false, requestSerialize: passthrough, requestDeserialize: passthrough, responseSerialize: passthrough, responseDeserialize: passthrough },
  } as grpc.ServiceDefinition;
  const grpcServer = new grpc.Server();
  grpcServer.addService(echoDef, { Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request) });
  const grpcPort = await new Promise<number>((r, j) => grpcServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? j(e) : r(p))));

  const apiToken = `swy_soak_${Date.now().toString(36)}`;
  const consoleApp: TConsoleHandle = await startConsole({ apiToken, ...(embedded ? { databaseUrl: embedded.url } : {}) });
  const listenerPort = await freePort();
  const api = async (path: string, method = "GET", json?: unknown) => {
    const res = await fetch(`${consoleApp.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${apiToken}`, ...(json !== undefined ? { "content-type": "application/json" } : {}) },
      body: json !== undefined ? JSON.stringify(json) : undefined,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return { status: res.status, text };
  };
  const configOf = (generation: number) => ({
    listeners: [{ name: "edge", address: "127.0.0.1", port: listenerPort, routeConfig: "main" }],
    routeConfigs: [
      {
        name: "main",
        virtualHosts: [
          {
            name: "all",
            domains: ["*"],
            responseHeaders: { add: [{ name: "x-soak-generation", value: String(generation) }] },
            routes: [
              { name: "ws", match: { prefix: "/ws" }, route: { cluster: "ws", allowUpgrade: true } },
              { name: "grpc", match: { prefix: "/soak.Echo/" }, route: { cluster: "grpc" } },
              { name: "eds", match: { prefix: "/eds" }, route: { cluster: "eds", retryPolicy: { retryOn: ["connect-failure", "reset"], numRetries: 2 } } },
              { name: "app", match: { prefix: "/" }, route: { cluster: generation % 2 ? "app-b" : "app-a", retryPolicy: { retryOn: ["connect-failure", "reset"], numRetries: 2 } } },
            ],
          },
        ],
      },
    ],
    clusters: [
      { name: "app-a", endpoints: [{ address: "127.0.0.1", port: httpPorts[0] }, { address: "127.0.0.1", port: httpPorts[1] }] },
      { name: "app-b", endpoints: [{ address: "127.0.0.1", port: httpPorts[1] }, { address: "127.0.0.1", port: httpPorts[2] }] },
      { name: "eds", discovery: "eds" },
      { name: "ws", endpoints: [{ address: "127.0.0.1", port: wsPort }] },
      { name: "grpc", protocol: "http2", endpoints: [{ address: "127.0.0.1", port: grpcPort }] },
    ],
    secrets: [],
    rateLimitPolicies: [],
  });
  let generation = 0;
  const publish = async () => {
    generation++;
    stats.publish.requests++;
    const put = await api("/config", "PUT", configOf(generation));
    if (put.status !== 200) return fail("publish", `PUT /config ${put.status} ${put.text.slice(0, 200)}`);
    const pub = await api("/versions", "POST", { message: `soak generation ${generation}` });
    if (pub.status >= 300) fail("publish", `POST /versions ${pub.status} ${pub.text.slice(0, 200)}`);
  };
  let churn = 0;
  const pushEndpoints = async () => {
    churn++;
    stats.churn.requests++;
    // Two of three endpoints, rotating: one leaves, another joins, every push.
    const eps = [httpPorts[churn % 3], httpPorts[(churn + 1) % 3]].map((port) => ({ address: "127.0.0.1", port }));
    const r = await api("/clusters/eds/endpoints", "PUT", { endpoints: eps });
    if (r.status !== 200) fail("churn", `PUT endpoints ${r.status} ${r.text.slice(0, 200)}`);
  };
  await publish();
  await pushEndpoints();
  const cacheDir = await mkdtemp(join(tmpdir(), "switchyard-soak-cache-"));
  const proxy: TProxyProcess = await startProxy({
    args: ["--control-plane", `ws://127.0.0.1:${consoleApp.port}/api/xds`, "--node-id", "soak-1", "--cache-dir", cacheDir, "--access-log", join(cacheDir, "access.log")],
  });

  const base = `http://127.0.0.1:${listenerPort}`;
  const running = () => Date.now() < deadline;

  const http1Loop = async (path: string) => {
    while (running()) {
      stats.http1.requests++;
      try {
        const res = await fetch(`${base}${path}`, { method: stats.http1.requests % 3 ? "GET" : "POST", body: stats.http1.requests % 3 ? undefined : "x".repeat(2048), signal: AbortSignal.timeout(10_000) });
        const body = await res.text();
        if (res.status !== 200 || !body.startsWith("ok")) fail("http1", `${path} ${res.status} ${body.slice(0, 80)}`);
      } catch (err) {
        fail("http1", `${path} ${String((err as Error).cause ?? err)}`);
      }
      await sleep(5);
    }
  };
  const h2Loop = async () => {
    let session: http2.ClientHttp2Session | null = null;
    while (running()) {
      stats.h2.requests++;
      try {
        if (!session || session.closed || session.destroyed) {
          session = http2.connect(base);
          session.on("error", () => undefined);
        }
        const s = session;
        const status = await new Promise<number>((resolveStatus, reject) => {
          const req = s.request({ ":path": "/h2" });
          const timer = setTimeout(() => (req.close(), reject(new Error("h2 timeout"))), 10_000);
          let st = 0;
          req.on("response", (h) => (st = Number(h[":status"])));
          req.on("data", () => undefined);
          req.on("end", () => (clearTimeout(timer), resolveStatus(st)));
          req.on("error", (e) => (clearTimeout(timer), reject(e)));
          req.end();
        });
        if (status !== 200) fail("h2", `status ${status}`);
      } catch (err) {
        // A GOAWAY from a draining listener is not a failure of a request that was never sent.
        session?.destroy();
        session = null;
        fail("h2", String(err));
      }
      await sleep(5);
    }
    session?.close();
  };
  const wsLoop = async () => {
    while (running()) {
      stats.ws.requests++;
      try {
        await new Promise<void>((resolveWs, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${listenerPort}/ws`);
          const timer = setTimeout(() => (ws.terminate(), reject(new Error("ws timeout"))), 10_000);
          let got = 0;
          ws.on("open", () => {
            for (let i = 0; i < 10; i++) ws.send(`m${i}`);
          });
          ws.on("message", () => {
            if (++got === 10) ws.close();
          });
          ws.on("close", () => (clearTimeout(timer), got === 10 ? resolveWs() : reject(new Error(`ws closed after ${got}/10`))));
          ws.on("error", (e) => (clearTimeout(timer), reject(e)));
        });
      } catch (err) {
        fail("ws", String(err));
      }
      await sleep(20);
    }
  };
  const grpcClient = new (grpc.makeGenericClientConstructor(echoDef, "Echo"))(`127.0.0.1:${listenerPort}`, grpc.credentials.createInsecure());
  const grpcLoop = async () => {
    while (running()) {
      stats.grpc.requests++;
      try {
        const out = await new Promise<Buffer>((r, j) =>
          (grpcClient as unknown as { Echo: (b: Buffer, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: Error | null, v: Buffer) => void) => void }).Echo(
            Buffer.from("ping"),
            new grpc.Metadata(),
            { deadline: Date.now() + 10_000 },
            (e, v) => (e ? j(e) : r(v)),
          ),
        );
        if (out.toString() !== "ping") fail("grpc", `echo ${out.toString().slice(0, 20)}`);
      } catch (err) {
        fail("grpc", String(err));
      }
      await sleep(5);
    }
  };
  const every = async (ms: number, f: () => Promise<void>) => {
    while (running()) {
      await sleep(Math.min(ms, Math.max(0, deadline - Date.now())));
      if (running()) await f().catch((e: unknown) => fail("publish", String(e)));
    }
  };

  const consoleDbUrl = consoleApp.databaseUrl;
  const dbFigures = async () => {
    const c = new pg.Client({ connectionString: consoleDbUrl });
    await c.connect();
    try {
      const size = Number((await c.query("SELECT pg_database_size(current_database()) AS s")).rows[0].s);
      const rows = Object.fromEntries((await c.query("SELECT relname, n_live_tup FROM pg_stat_user_tables ORDER BY relname")).rows.map((r: { relname: string; n_live_tup: string }) => [r.relname, Number(r.n_live_tup)]));
      return { sizeBytes: size, rows };
    } finally {
      await c.end();
    }
  };

  const loops = [http1Loop("/app/a"), http1Loop("/eds/b"), h2Loop(), wsLoop(), grpcLoop(), every(PUBLISH_EVERY_MS, publish), every(CHURN_EVERY_MS, pushEndpoints)];
  await sleep(WARMUP_MS);
  const startUsage = { proxy: await treeUsage(proxy.child.pid as number), console: await treeUsage(consoleApp.child.pid as number), db: await dbFigures(), at: new Date().toISOString() };
  const samples: { t: string; proxyRssKiB: number; proxyFds: number; consoleRssKiB: number; consoleFds: number }[] = [];
  while (running()) {
    await sleep(Math.min(SAMPLE_EVERY_MS, Math.max(0, deadline - Date.now())));
    const p = await treeUsage(proxy.child.pid as number);
    const c = await treeUsage(consoleApp.child.pid as number);
    samples.push({ t: new Date().toISOString(), proxyRssKiB: p.rssKiB, proxyFds: p.fds, consoleRssKiB: c.rssKiB, consoleFds: c.fds });
    const total = Object.values(stats).reduce((n, s) => n + s.requests, 0);
    process.stdout.write(`[soak] ${new Date().toISOString()} requests=${total} failures=${Object.values(stats).reduce((n, s) => n + s.failures, 0)} proxyRss=${p.rssKiB}KiB fds=${p.fds} consoleRss=${c.rssKiB}KiB fds=${c.fds}\n`);
  }
  await Promise.all(loops);
  const endUsage = { proxy: await treeUsage(proxy.child.pid as number), console: await treeUsage(consoleApp.child.pid as number), db: await dbFigures(), at: new Date().toISOString() };
  const proxyAlive = proxy.child.exitCode === null;

  grpcClient.close();
  await proxy.stop();
  await consoleApp.stop();
  grpcServer.forceShutdown();
  await new Promise<void>((r) => wss.close(() => r()));
  for (const s of httpServers) {
    s.closeAllConnections();
    s.close();
  }
  await embedded?.stop();
  if (pgDir) await rm(pgDir, { recursive: true, force: true });
  await rm(cacheDir, { recursive: true, force: true });

  const failures = Object.values(stats).reduce((n, s) => n + s.failures, 0);
  const requests = stats.http1.requests + stats.h2.requests + stats.ws.requests + stats.grpc.requests;
  const summary = { started: started.toISOString(), minutes: MINUTES, requests, failures, stats, start: startUsage, end: endUsage, samples, proxyAlive, versionsPublished: generation, endpointPushes: churn };
  console.log(JSON.stringify(summary, null, 2));
  const mib = (k: number) => (k / 1024).toFixed(1);
  const tables = Object.keys(endUsage.db.rows)
    .filter((t) => endUsage.db.rows[t] !== startUsage.db.rows[t])
    .map((t) => `${t} ${startUsage.db.rows[t] ?? 0} -> ${endUsage.db.rows[t]}`)
    .join(", ");
  const line = [
    `\n## Soak ${started.toISOString().slice(0, 16).replace("T", " ")} UTC — ${MINUTES} min${MINUTES < 30 ? " (SHORT RUN, not the full 30 minutes)" : ""}`,
    "",
    `Command: \`SOAK_MINUTES=${MINUTES} npm run test:soak\` (${process.env.DATABASE_URL ? "DATABASE_URL server" : "embedded PostgreSQL"}; 1 proxy node, managed; 2 CPU cores shared)`,
    "",
    `| figure | value |`,
    `| --- | --- |`,
    `| requests (HTTP/1.1 / h2c / WebSocket sessions of 10 messages / gRPC) | ${requests} (${stats.http1.requests} / ${stats.h2.requests} / ${stats.ws.requests} / ${stats.grpc.requests}) |`,
    `| failures | ${failures}${failures ? ` — ${Object.entries(stats).filter(([, s]) => s.failures).map(([k, s]) => `${k}: ${s.failures} (${s.failureSamples[0]})`).join("; ")}` : ""} |`,
    `| config versions published (every 10 s) / eds endpoint pushes (every 5 s) | ${generation} / ${churn} |`,
    `| proxy RSS start -> end (after ${Math.round(WARMUP_MS / 1000)} s warm-up) | ${mib(startUsage.proxy.rssKiB)} MiB -> ${mib(endUsage.proxy.rssKiB)} MiB |`,
    `| proxy open fds start -> end | ${startUsage.proxy.fds} -> ${endUsage.proxy.fds} |`,
    `| console RSS start -> end (tsx wrapper + server) | ${mib(startUsage.console.rssKiB)} MiB -> ${mib(endUsage.console.rssKiB)} MiB |`,
    `| console open fds start -> end | ${startUsage.console.fds} -> ${endUsage.console.fds} |`,
    `| console database size start -> end | ${mib(startUsage.db.sizeBytes / 1024)} MiB -> ${mib(endUsage.db.sizeBytes / 1024)} MiB |`,
    `| table rows that changed | ${tables || "none"} |`,
    `| proxy RSS samples (MiB, every 30 s) | ${samples.map((s) => mib(s.proxyRssKiB)).join(", ")} |`,
    `| proxy fd samples | ${samples.map((s) => s.proxyFds).join(", ")} |`,
    "",
  ].join("\n");
  await appendFile(RESULTS, line);
  process.exit(failures === 0 && proxyAlive ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
