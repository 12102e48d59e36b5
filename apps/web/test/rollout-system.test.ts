/**
 * Staged rollout and SLO guard as real processes: two console processes on one
 * PostgreSQL database, two real proxy nodes (`switchyard-proxy`, group "canary" on
 * console B, group "stable" on console A, each with its group's node token), a real
 * upstream that starts answering 503 on command.
 *
 * The guard runs on the proxies' OWN stats frames (issue #7): the proxies report a stats
 * window every second (`--stats-interval-ms 1000`), the console that holds the canary
 * node stores them as stats buckets, and the guard (running in both consoles) reads the
 * canary group's windows from there. Nothing is relayed or faked by the test.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeToken, getRollout } from "@switchyard/db";
import { createTestDatabase, type TTestDatabase } from "@switchyard/db/testing";
import { startProxy, type TProxyProcess } from "../../proxy/test/helpers/start-proxy.ts";
import { freePort, startConsole, type TConsoleHandle } from "./helpers/start-console.ts";

let t: TTestDatabase;
let consoleA: TConsoleHandle;
let consoleB: TConsoleHandle;
let canaryProxy: TProxyProcess;
let stableProxy: TProxyProcess;
let upstream: Server;
let upstreamPort: number;
let listenerPort: number;
let failing = false;

async function api(c: TConsoleHandle, path: string, init: { method?: string; json?: unknown } = {}) {
  const res = await fetch(`${c.url}/api/v1${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${c.apiToken}`, ...(init.json !== undefined ? { "content-type": "application/json" } : {}) },
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
  const text = await res.text();
  return { status: res.status, text, body: (text ? JSON.parse(text) : {}) as Record<string, never> };
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function appliedVersion(p: TProxyProcess): Promise<number | null> {
  const res = await p.admin("/config_dump");
  return ((await res.json()) as { version: number | null }).version;
}

/** v1 has no listener, so both proxies on this one host can apply it; the canary version adds one. */
function config(withListener: boolean) {
  return {
    listeners: withListener ? [{ name: "public", address: "127.0.0.1", port: listenerPort, routeConfig: "main" }] : [],
    routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "api", match: { prefix: "/" }, route: { cluster: "backend" } }] }] }],
    clusters: [{ name: "backend", endpoints: [{ address: "127.0.0.1", port: upstreamPort }] }],
  };
}

/** Stats window the proxies report (the default is 5 s). */
const STATS_INTERVAL_MS = 1000;
/** The guard's window: a few stats windows. */
const GUARD = { windowMs: 6000, maxErrorRatioIncrease: 0.2, minRequests: 10 };

type TGuardView = { verdict: "ok" | "insufficient" | "tripped"; current: { requests: number; errors5xx: number; p99Ms: number | null } } | null;

async function rolloutView(c: TConsoleHandle, id: number) {
  return (await api(c, `/rollouts/${id}`)).body as unknown as { rollout: { state: string }; guard: TGuardView };
}

/** Steady traffic through the canary proxy while the test runs. */
async function drive(ms: number): Promise<{ ok: number; failed: number }> {
  const until = Date.now() + ms;
  const out = { ok: 0, failed: 0 };
  while (Date.now() < until) {
    const res = await fetch(`http://127.0.0.1:${listenerPort}/orders`).catch(() => null);
    if (res) await res.arrayBuffer();
    if (res?.status === 200) out.ok++;
    else out.failed++;
    await new Promise((r) => setTimeout(r, 20));
  }
  return out;
}

beforeAll(async () => {
  upstream = createServer((_req, res) => {
    res.statusCode = failing ? 503 : 200;
    res.end(failing ? "broken" : "ok");
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  upstreamPort = (upstream.address() as AddressInfo).port;
  listenerPort = await freePort();

  t = await createTestDatabase();
  [consoleA, consoleB] = await Promise.all([startConsole({ databaseUrl: t.url }), startConsole({ databaseUrl: t.url })]);
  expect((await api(consoleA, "/config", { method: "PUT", json: config(false) })).status).toBe(200);
  expect((await api(consoleA, "/versions", { method: "POST", json: { message: "v1: stable" } })).status).toBe(201);

  // Node tokens per group: the proxies must present theirs (--token).
  const canaryToken = (await createNodeToken(t.db, { name: "canary nodes", group: "canary", actor: "test" })).token;
  const stableToken = (await createNodeToken(t.db, { name: "stable nodes", group: "stable", actor: "test" })).token;
  const managed = (c: TConsoleHandle, id: string, group: string, token: string) => [
    "--control-plane", `ws://127.0.0.1:${c.port}/api/xds`, "--node-id", id, "--group", group, "--token", token, "--label", `role=${group}`,
    "--stats-interval-ms", String(STATS_INTERVAL_MS),
  ];
  [canaryProxy, stableProxy] = await Promise.all([
    startProxy({ args: managed(consoleB, "canary-1", "canary", canaryToken), waitReady: false }),
    startProxy({ args: managed(consoleA, "stable-1", "stable", stableToken), waitReady: false }),
  ]);
  await eventually("both proxies on v1", async () => (await appliedVersion(canaryProxy)) === 1 && (await appliedVersion(stableProxy)) === 1, 20_000);
}, 240_000);

afterAll(async () => {
  await Promise.all([canaryProxy?.stop(), stableProxy?.stop()]);
  await Promise.all([consoleA?.stop(), consoleB?.stop()]);
  await new Promise((r) => upstream?.close(r));
  await t?.drop();
}, 60_000);

describe("two consoles, two proxy nodes, staged rollout with SLO guard", () => {
  it("refuses a node without a token once node tokens exist, and shows labels in the registry", async () => {
    const refused = await startProxy({ args: ["--control-plane", `ws://127.0.0.1:${consoleA.port}/api/xds`, "--node-id", "intruder"], waitReady: false });
    try {
      await refused.waitForEvent((e) => e.event === "control_plane_unauthorized", 10_000);
    } finally {
      await refused.stop();
    }
    const nodes = (await api(consoleA, "/nodes")).body as unknown as { id: string; group: string; labels: Record<string, string> }[];
    expect(nodes.find((n) => n.id === "canary-1")).toMatchObject({ group: "canary", labels: { role: "canary" } });
    expect(nodes.some((n) => n.id === "intruder")).toBe(false);
  });

  it("a canary published on console A reaches the canary node on console B within 1 s, never the stable one; the guard, on the proxy's own stats, leaves it alone while healthy and rolls it back when its upstream starts failing", async () => {
    // First a canary that is promoted: v2 (same content as v1) reaches the stable node only after promotion.
    const published = await api(consoleA, "/versions", { method: "POST", json: { message: "v2: canary, then promoted", group: "canary" } });
    expect(published.status).toBe(201);
    const noop = published.body as unknown as { version: number; rolloutId: number };
    await eventually("canary on v2", async () => (await appliedVersion(canaryProxy)) === noop.version, 10_000);
    expect(await appliedVersion(stableProxy)).toBe(1);
    expect((await api(consoleB, `/rollouts/${noop.rolloutId}/promote`, { method: "POST" })).status).toBe(200);
    await eventually("stable on v2", async () => (await appliedVersion(stableProxy)) === noop.version, 10_000);

    expect((await api(consoleA, "/config", { method: "PUT", json: config(true) })).status).toBe(200);
    const sentAt = Date.now();
    const res = await api(consoleA, "/versions", { method: "POST", json: { message: "v3: canary with a listener", group: "canary", guard: GUARD } });
    expect(res.status, res.text).toBe(201);
    const canary = res.body as unknown as { version: number; rolloutId: number };
    // LISTEN/NOTIFY fan-out: published through A, pushed by B to its canary node.
    await canaryProxy.waitForEvent((e) => e.event === "control_plane_snapshot_received" && e.version === canary.version, 5000);
    const fanOutMs = Date.now() - sentAt;
    expect(fanOutMs).toBeLessThan(1000);
    await eventually("canary proxy applies the canary version", async () => (await appliedVersion(canaryProxy)) === canary.version, 10_000);

    // Healthy canary traffic for a whole guard window: the guard judges it from the
    // proxy's own stats frames (enough requests for a verdict) and leaves it alone.
    const healthyTraffic = drive(GUARD.windowMs + 2000);
    const judged = await eventually(
      "a guard verdict on the canary's own stats",
      async () => {
        const v = await rolloutView(consoleB, canary.rolloutId);
        return v.guard && v.guard.current.requests >= GUARD.minRequests ? v.guard : undefined;
      },
      GUARD.windowMs,
    );
    expect(judged.verdict).toBe("ok");
    expect(judged.current.errors5xx).toBe(0);
    expect(judged.current.p99Ms).toBeGreaterThan(0);
    const healthy = await healthyTraffic;
    expect(healthy.failed).toBe(0);
    const afterHealthy = await rolloutView(consoleA, canary.rolloutId);
    expect(afterHealthy.rollout.state).toBe("canary");
    expect(afterHealthy.guard?.verdict).toBe("ok");

    // The upstream starts failing: the guard must roll the canary group back within its window.
    failing = true;
    const flippedAt = Date.now();
    const traffic = drive(GUARD.windowMs + 2000);
    const rolledBack = await eventually(
      "guard rollback",
      async () => {
        const r = await getRollout(t.db, canary.rolloutId);
        return r?.state === "rolled_back" ? r : undefined;
      },
      GUARD.windowMs + 2000,
    );
    const tripMs = Date.now() - flippedAt;
    const failingTraffic = await traffic;
    expect(tripMs).toBeLessThan(GUARD.windowMs);
    expect(failingTraffic.failed).toBeGreaterThan(0);
    expect(rolledBack.createdBy).toBe("api-token");
    expect(rolledBack.reason).toMatch(/^SLO guard: 5xx ratio/);
    expect(rolledBack.events.map((e) => e.kind)).toEqual(expect.arrayContaining(["started", "guard_tripped", "rolled_back"]));
    const tripped = rolledBack.events.find((e) => e.kind === "guard_tripped");
    const seen = (tripped?.details as { current?: { requests: number; errors5xx: number } } | null)?.current;
    expect(seen?.errors5xx).toBeGreaterThan(0);

    // The canary proxy is back on the previous version; the stable one never saw the canary.
    await eventually("canary proxy back on the previous version", async () => (await appliedVersion(canaryProxy)) === noop.version, 10_000);
    expect(await appliedVersion(stableProxy)).toBe(noop.version);
    const stableSnapshots = stableProxy.events().filter((e) => e.event === "control_plane_snapshot_received").map((e) => e.version);
    expect(stableSnapshots).not.toContain(canary.version);
    const status = await rolloutView(consoleB, canary.rolloutId);
    expect(status.rollout.state).toBe("rolled_back");
    // The guard's figures came from the canary proxy's own windows: its node rows and its group's rows.
    expect(await t.db.prisma.statsBucket.count({ where: { nodeId: "canary-1", kind: "node" } })).toBeGreaterThan(0);
    expect(await t.db.prisma.statsBucket.count({ where: { group: "canary", kind: "group" } })).toBeGreaterThan(0);
    console.log(
      `[rollout-system] fan-out A->B ${fanOutMs} ms; guard trip ${tripMs} ms after the upstream started failing ` +
        `(window ${GUARD.windowMs} ms, stats every ${STATS_INTERVAL_MS} ms; seen ${seen?.errors5xx}/${seen?.requests} 5xx)`,
    );
  }, 120_000);
});
