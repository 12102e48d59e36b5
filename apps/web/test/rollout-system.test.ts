/**
 * Staged rollout and SLO guard as real processes: two console processes on one
 * PostgreSQL database, two real proxy nodes (`switchyard-proxy`, group "canary" on
 * console B, group "stable" on console A, each with its group's node token), a real
 * upstream that starts answering 503 on command.
 *
 * Stats frames: the proxy does not send `stats` frames yet (issue #7 builds that). So
 * this test relays the canary proxy's REAL counters: every second it reads the proxy's
 * admin GET /stats (prom-client JSON: requests by status class, latency histogram),
 * turns the deltas into a `stats` frame and sends it through a real ws client that
 * speaks the wire protocol as a canary-group node ("canary-relay"). When #7 lands, the
 * relay can go and the proxy's own frames feed the guard.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeToken, getRollout } from "@switchyard/db";
import { createTestDatabase, type TTestDatabase } from "@switchyard/db/testing";
import { startProxy, type TProxyProcess } from "../../proxy/test/helpers/start-proxy.ts";
import { freePort, startConsole, type TConsoleHandle } from "./helpers/start-console.ts";
import { connectNode, helloFrame, type TFakeNode } from "./helpers/fake-node.ts";

let t: TTestDatabase;
let consoleA: TConsoleHandle;
let consoleB: TConsoleHandle;
let canaryProxy: TProxyProcess;
let stableProxy: TProxyProcess;
let relay: TFakeNode;
let relayTimer: NodeJS.Timeout | undefined;
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

type TPromMetric = { name: string; values: { value: number; labels: Record<string, string | number>; metricName?: string }[] };

/** Cumulative totals of the proxy's request counter and duration histogram (ms bounds). */
async function readProxyTotals(p: TProxyProcess) {
  const { metrics } = (await (await p.admin("/stats")).json()) as { metrics: TPromMetric[] };
  const requests = metrics.find((m) => m.name === "switchyard_http_requests_total")?.values ?? [];
  const duration = metrics.find((m) => m.name === "switchyard_http_request_duration_seconds")?.values ?? [];
  const buckets = new Map<number, number>();
  for (const v of duration) {
    if (v.metricName !== "switchyard_http_request_duration_seconds_bucket") continue;
    const le = v.labels.le === "+Inf" ? Infinity : Number(v.labels.le) * 1000;
    buckets.set(le, (buckets.get(le) ?? 0) + v.value);
  }
  return {
    total: requests.reduce((s, v) => s + v.value, 0),
    errors5xx: requests.filter((v) => v.labels.code_class === "5xx").reduce((s, v) => s + v.value, 0),
    buckets: [...buckets.entries()].sort((a, b) => a[0] - b[0]),
  };
}

/** Every second: the canary proxy's counter deltas as one stats frame from a canary-group node. */
function startRelay(): void {
  let last: Awaited<ReturnType<typeof readProxyTotals>> | null = null;
  let windowStart = Date.now();
  relayTimer = setInterval(() => {
    void readProxyTotals(canaryProxy)
      .then((now) => {
        const prev = last;
        last = now;
        const windowEnd = Date.now();
        const start = windowStart;
        windowStart = windowEnd;
        if (!prev) return;
        const requests = now.total - prev.total;
        const errors5xx = now.errors5xx - prev.errors5xx;
        const finite = now.buckets.filter(([le]) => Number.isFinite(le));
        // Cumulative prometheus buckets -> per-bucket counts; the last count is +Inf.
        const cumulative = now.buckets.map(([le, c]) => c - (prev.buckets.find(([l]) => l === le)?.[1] ?? 0));
        const counts = cumulative.map((c, i) => c - (i ? cumulative[i - 1]! : 0));
        relay.send({
          type: "stats",
          windowStart: start,
          windowEnd,
          dropped: 0,
          entries: [
            {
              kind: "route",
              name: "api",
              listener: "public",
              requests,
              codeClasses: { "1xx": 0, "2xx": requests - errors5xx, "3xx": 0, "4xx": 0, "5xx": errors5xx },
              bytesIn: 0,
              bytesOut: 0,
              latency: { bounds: finite.map(([le]) => le), counts, sum: 0, count: requests },
            },
          ],
        });
      })
      .catch(() => undefined);
  }, 1000);
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
  ];
  [canaryProxy, stableProxy] = await Promise.all([
    startProxy({ args: managed(consoleB, "canary-1", "canary", canaryToken), waitReady: false }),
    startProxy({ args: managed(consoleA, "stable-1", "stable", stableToken), waitReady: false }),
  ]);
  await eventually("both proxies on v1", async () => (await appliedVersion(canaryProxy)) === 1 && (await appliedVersion(stableProxy)) === 1, 20_000);

  relay = await connectNode(`ws://127.0.0.1:${consoleB.port}/api/xds`, { authorization: `Bearer ${canaryToken}` });
  relay.ws.on("message", (data) => {
    const f = JSON.parse(String(data)) as { type: string; version: number; hash: string };
    if (f.type === "snapshot") relay.send({ type: "ack", version: f.version, hash: f.hash });
  });
  relay.send(helloFrame("canary-relay", "canary"));
  await eventually("relay got v1", async () => relay.snapshots()[0], 5000);
}, 240_000);

afterAll(async () => {
  if (relayTimer) clearInterval(relayTimer);
  relay?.close();
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

  it("a canary published on console A reaches the canary node on console B within 1 s, never the stable one; the guard rolls it back when its upstream starts failing", async () => {
    // First a canary that is promoted: v2 (same content as v1) reaches the stable node only after promotion.
    const published = await api(consoleA, "/versions", { method: "POST", json: { message: "v2: canary, then promoted", group: "canary" } });
    expect(published.status).toBe(201);
    const noop = published.body as unknown as { version: number; rolloutId: number };
    await eventually("canary on v2", async () => (await appliedVersion(canaryProxy)) === noop.version, 10_000);
    expect(await appliedVersion(stableProxy)).toBe(1);
    expect((await api(consoleB, `/rollouts/${noop.rolloutId}/promote`, { method: "POST" })).status).toBe(200);
    await eventually("stable on v2", async () => (await appliedVersion(stableProxy)) === noop.version, 10_000);

    expect((await api(consoleA, "/config", { method: "PUT", json: config(true) })).status).toBe(200);
    const before = relay.snapshots().length;
    const sentAt = Date.now();
    const res = await api(consoleA, "/versions", {
      method: "POST",
      json: { message: "v3: canary with a listener", group: "canary", guard: { windowMs: 10_000, maxErrorRatioIncrease: 0.2, minRequests: 10 } },
    });
    expect(res.status, res.text).toBe(201);
    const canary = res.body as unknown as { version: number; rolloutId: number };
    // LISTEN/NOTIFY fan-out: published through A, pushed by B.
    await eventually("relay on console B receives the canary", async () => relay.snapshots().length > before && relay.snapshots().at(-1)?.version === canary.version, 1000);
    const fanOutMs = Date.now() - sentAt;
    expect(fanOutMs).toBeLessThan(1000);
    await eventually("canary proxy applies the canary version", async () => (await appliedVersion(canaryProxy)) === canary.version, 10_000);

    startRelay();
    // Healthy canary traffic: the guard leaves it alone.
    const healthy = await drive(3000);
    expect(healthy.ok).toBeGreaterThan(20);
    expect((await getRollout(t.db, canary.rolloutId))?.state).toBe("canary");

    // The upstream starts failing: the guard must roll the canary group back within its window.
    failing = true;
    const flippedAt = Date.now();
    const traffic = drive(12_000);
    const rolledBack = await eventually(
      "guard rollback",
      async () => {
        const r = await getRollout(t.db, canary.rolloutId);
        return r?.state === "rolled_back" ? r : undefined;
      },
      12_000,
    );
    const tripMs = Date.now() - flippedAt;
    await traffic;
    expect(tripMs).toBeLessThan(10_000);
    expect(rolledBack.createdBy).toBe("api-token");
    expect(rolledBack.reason).toMatch(/^SLO guard: 5xx ratio/);
    expect(rolledBack.events.map((e) => e.kind)).toEqual(expect.arrayContaining(["started", "guard_tripped", "rolled_back"]));

    // The canary proxy is back on the previous version; the stable one never saw the canary.
    await eventually("canary proxy back on the previous version", async () => (await appliedVersion(canaryProxy)) === noop.version, 10_000);
    expect(await appliedVersion(stableProxy)).toBe(noop.version);
    const stableSnapshots = stableProxy.events().filter((e) => e.event === "control_plane_snapshot_received").map((e) => e.version);
    expect(stableSnapshots).not.toContain(canary.version);
    const status = (await api(consoleB, `/rollouts/${canary.rolloutId}`)).body as unknown as { rollout: { state: string } };
    expect(status.rollout.state).toBe("rolled_back");
    console.log(`[rollout-system] fan-out A->B ${fanOutMs} ms; guard trip ${tripMs} ms after the upstream started failing (window 10000 ms)`);
  });
});
