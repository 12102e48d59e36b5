import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeConsul, type TFakeConsul } from "../helpers/fake-consul.ts";
import { freePort } from "../helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";

/**
 * `--workers 2`: limits, probes and ejections are the node's, not each worker's
 * (workers/node-state.ts, workers/state-link.ts). Real CLI processes, real upstreams on
 * 127.0.0.1; every request uses its own connection so the primary deals them out to both
 * workers.
 */

type TAnswer = { status: number; body: string };

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<TAnswer> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, headers: { connection: "close", ...headers }, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", () => resolve({ status: 0, body }));
    });
    req.on("error", () => resolve({ status: 0, body: "" }));
    req.end();
  });
}

/** A plain upstream: `answer` decides status and delay per request; `hits` counts by path. */
type TOrigin = { port: number; hits: string[]; inFlight: number; maxInFlight: number; close(): Promise<void> };

async function origin(answer: (path: string) => { status: number; delayMs?: number }): Promise<TOrigin> {
  const o: TOrigin = { port: 0, hits: [], inFlight: 0, maxInFlight: 0, close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "";
    o.hits.push(path);
    o.inFlight++;
    o.maxInFlight = Math.max(o.maxInFlight, o.inFlight);
    const { status, delayMs = 0 } = answer(path);
    req.resume();
    setTimeout(() => {
      o.inFlight--;
      res.writeHead(status, { "content-type": "text/plain" }).end(String(status));
    }, delayMs);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  o.port = (server.address() as AddressInfo).port;
  o.close = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return o;
}

const listener = (port: number) => [{ name: "main", address: "127.0.0.1", port, routeConfig: "main" }];
const routes = (routeList: unknown[]) => [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: routeList }] }];
const endpoint = (o: TOrigin) => ({ address: "127.0.0.1", port: o.port });

const running: { proxy?: TProxyProcess; origins: TOrigin[]; consul?: TFakeConsul } = { origins: [] };
afterEach(async () => {
  await running.proxy?.stop();
  running.proxy = undefined;
  await running.consul?.close();
  running.consul = undefined;
  await Promise.all(running.origins.map((o) => o.close()));
  running.origins = [];
});

async function start(config: unknown, workers = 2, args: string[] = []): Promise<TProxyProcess> {
  running.proxy = await startProxy({ config, args: ["--workers", String(workers), ...args], readyTimeoutMs: 30_000 });
  return running.proxy;
}

const count = (answers: TAnswer[], status: number) => answers.filter((a) => a.status === status).length;

describe("--workers 2 share one state", () => {
  it("a local rate limit of 2/s (burst 6) admits the burst and then the rate, for the node", async () => {
    const up = await origin(() => ({ status: 200 }));
    running.origins.push(up);
    const port = await freePort();
    await start({
      listeners: listener(port),
      routeConfigs: routes([{ name: "limited", match: { prefix: "/" }, route: { cluster: "up", rateLimit: "two" } }]),
      clusters: [{ name: "up", endpoints: [endpoint(up)] }],
      rateLimitPolicies: [{ name: "two", scope: "local", requests: 2, per: "second", burst: 6, key: "none" }],
    });
    // The bucket refills while a batch is served (slowly on a loaded machine): the bound
    // allows burst + 2/s of the time taken, and per worker it would be twice that.
    const allowed = (elapsedMs: number) => Math.ceil((2 * elapsedMs) / 1000);
    const t0 = performance.now();
    const first = await Promise.all(Array.from({ length: 14 }, (_, i) => get(port, `/a${i}`)));
    const firstMs = performance.now() - t0;
    expect(count(first, 200)).toBeGreaterThanOrEqual(6);
    expect(count(first, 200)).toBeLessThanOrEqual(6 + allowed(firstMs));
    expect(count(first, 200) + count(first, 429)).toBe(14);
    await new Promise((r) => setTimeout(r, 1_500));
    const second = await Promise.all(Array.from({ length: 14 }, (_, i) => get(port, `/b${i}`)));
    const totalMs = performance.now() - t0;
    // 1.5 s of refill at least (3 tokens, one may still be refilling); never more than burst + rate x time.
    expect(count(second, 200)).toBeGreaterThanOrEqual(2);
    expect(count(first, 200) + count(second, 200)).toBeLessThanOrEqual(6 + allowed(totalMs));
  }, 40_000);

  it("maxRequests holds across workers: 3 in flight node-wide, the rest 503 UO", async () => {
    const up = await origin(() => ({ status: 200, delayMs: 2_000 }));
    running.origins.push(up);
    const port = await freePort();
    await start({
      listeners: listener(port),
      routeConfigs: routes([{ name: "r", match: { prefix: "/" }, route: { cluster: "up" } }]),
      clusters: [{ name: "up", endpoints: [endpoint(up)], circuitBreakers: { maxRequests: 3 } }],
    });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => get(port, `/r${i}`)));
    expect(up.maxInFlight).toBe(3);
    expect(count(answers, 200)).toBe(3);
    expect(answers.filter((a) => a.status === 503 && a.body.includes("overflow"))).toHaveLength(7);
    // The slots came back: the next request passes.
    expect((await get(port, "/after")).status).toBe(200);
  }, 40_000);

  it("maxPendingRequests holds across workers (one connection per worker, 2 pending node-wide)", async () => {
    const up = await origin(() => ({ status: 200, delayMs: 1_500 }));
    running.origins.push(up);
    const port = await freePort();
    await start({
      listeners: listener(port),
      routeConfigs: routes([{ name: "r", match: { prefix: "/" }, route: { cluster: "up" } }]),
      clusters: [{ name: "up", endpoints: [endpoint(up)], circuitBreakers: { maxConnections: 1, maxPendingRequests: 2 } }],
    });
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => get(port, `/p${i}`)));
    // Each worker has its own connection (2 on the wire); at most 2 more wait node-wide.
    // Per worker it was 1 + 2 each: 6.
    expect(count(answers, 200)).toBeLessThanOrEqual(4);
    expect(count(answers, 200)).toBeGreaterThanOrEqual(2);
    expect(count(answers, 200) + count(answers, 503)).toBe(12);
  }, 40_000);

  it.each([2, 1])("maxRetries counts retries from the decision, back-off included (--workers %i): 6 concurrent failures with maxRetries 1 make 7 upstream requests, not 12", async (workers) => {
    const up = await origin(() => ({ status: 503, delayMs: 1_000 }));
    running.origins.push(up);
    const port = await freePort();
    await start({
      listeners: listener(port),
      routeConfigs: routes([
        { name: "r", match: { prefix: "/" }, route: { cluster: "up", retryPolicy: { retryOn: ["5xx"], numRetries: 1, backoff: { baseMs: 100, maxMs: 100 } } } },
      ]),
      clusters: [{ name: "up", endpoints: [endpoint(up)], circuitBreakers: { maxRetries: 1 } }],
    }, workers);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => get(port, `/x${i}`)));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(503));
    // Six first tries end together; one retry holds the only slot through its back-off and try.
    expect(up.hits).toHaveLength(7);
    const prom = await (await (running.proxy as TProxyProcess).admin("/stats/prometheus")).text();
    expect(prom).toMatch(/switchyard_upstream_rq_retry_overflow_total\{cluster="up"\} 5/);
  }, 40_000);

  it("one health probe per interval per endpoint, whatever the number of workers", async () => {
    const up = await origin(() => ({ status: 200 }));
    running.origins.push(up);
    const port = await freePort();
    await start({
      listeners: listener(port),
      routeConfigs: routes([{ name: "r", match: { prefix: "/" }, route: { cluster: "up" } }]),
      clusters: [{ name: "up", endpoints: [endpoint(up)], healthCheck: { type: "http", path: "/health", intervalMs: 250, timeoutMs: 200 } }],
    });
    const before = up.hits.filter((h) => h === "/health").length;
    await new Promise((r) => setTimeout(r, 2_000));
    const probes = up.hits.filter((h) => h === "/health").length - before;
    // 2000 / 250 = 8 probes from one prober (fewer when timers run late on a loaded
    // machine); two probing workers would make 16.
    expect(probes).toBeGreaterThanOrEqual(4);
    expect(probes).toBeLessThanOrEqual(10);
    // The worker that does not probe serves too: it took the owner's "healthy".
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => get(port, `/h${i}`)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
  }, 40_000);

  it("one ejection, counted from every worker's failures, is seen by every worker", async () => {
    const bad = await origin(() => ({ status: 500 }));
    const good = await origin(() => ({ status: 200 }));
    running.origins.push(bad, good);
    const port = await freePort();
    const proxy = await start({
      listeners: listener(port),
      routeConfigs: routes([{ name: "r", match: { prefix: "/" }, route: { cluster: "pair" } }]),
      clusters: [
        {
          name: "pair",
          endpoints: [endpoint(bad), endpoint(good)],
          outlierDetection: { consecutive5xx: 4, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 50 },
        },
      ],
    });
    // Sequential requests alternate between the workers, each worker alternates endpoints:
    // about 2-3 failures per worker, 4 or more node-wide.
    for (let i = 0; i < 10 && !proxy.events().some((e) => e.event === "outlier_ejected"); i++) await get(port, `/s${i}`);
    await proxy.waitForEvent((e) => e.event === "outlier_ejected", 5_000);
    const hitsBefore = bad.hits.length;
    expect(hitsBefore).toBeLessThanOrEqual(6);
    // Both workers leave the ejected endpoint out.
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => get(port, `/t${i}`)));
    expect(after.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(bad.hits.length).toBe(hitsBefore);
    expect(proxy.events().filter((e) => e.event === "outlier_ejected")).toHaveLength(1);
  }, 40_000);

  it("discovery runs once per node: one Consul watch, and every worker follows what it finds", async () => {
    const a = await origin(() => ({ status: 200 }));
    const b = await origin(() => ({ status: 201 }));
    running.origins.push(a, b);
    const consul = await startFakeConsul();
    running.consul = consul;
    consul.setService("users", [{ id: "a", address: "127.0.0.1", port: a.port }]);
    const port = await freePort();
    await start(
      {
        listeners: listener(port),
        routeConfigs: routes([{ name: "r", match: { prefix: "/" }, route: { cluster: "users" } }]),
        clusters: [{ name: "users", discovery: "consul", consul: { service: "users" } }],
      },
      2,
      ["--consul", consul.url],
    );
    const first = await Promise.all(Array.from({ length: 10 }, (_, i) => get(port, `/c${i}`)));
    expect(first.map((x) => x.status)).toEqual(Array(10).fill(200));
    // One watch, not one per worker: one first ask (index 0).
    expect(consul.queries.filter((q) => q.get("index") === "0")).toHaveLength(1);
    consul.setService("users", [{ id: "b", address: "127.0.0.1", port: b.port }]);
    for (let i = 0; i < 50; i++) {
      const probe = await Promise.all(Array.from({ length: 4 }, (_, j) => get(port, `/w${i}-${j}`)));
      if (probe.every((x) => x.status === 201)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const after = await Promise.all(Array.from({ length: 10 }, (_, i) => get(port, `/d${i}`)));
    expect(after.map((x) => x.status)).toEqual(Array(10).fill(201));
    expect(consul.queries.filter((q) => q.get("index") === "0")).toHaveLength(1);
  }, 40_000);
});
