import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";
import { answer, ep, metricValue, proxyConfig, sleep, startScripted, waitFor, type TClustersBody, type TScripted } from "../helpers/traffic.ts";

/**
 * Load balancing with hash policies, active health checks, outlier detection, circuit
 * breakers and mirroring, each against real upstreams that misbehave on purpose.
 */
let a: TScripted;
let b: TScripted;
let c: TScripted;
let sick: TScripted;
let slow: TScripted;
let shadow: TScripted;
let hc: TScripted;
let hcPort: number;
let hcHealthy = true;
let proxy: TProxyProcess;
let base: string;

const named = (name: string) => (req: IncomingMessage, res: ServerResponse) => {
  req.resume();
  if (req.url === "/health") return answer(res, hcHealthy || name !== "hc" ? 200 : 503, name);
  answer(res, 200, name);
};

async function startHc(port = 0) {
  return startScripted(named("hc"), port);
}

beforeAll(async () => {
  [a, b, c] = await Promise.all([startScripted(named("a")), startScripted(named("b")), startScripted(named("c"))]);
  sick = await startScripted((req, res) => {
    req.resume();
    answer(res, 500, "sick");
  });
  slow = await startScripted((req, res) => {
    req.resume();
    setTimeout(() => answer(res, 200, "slow"), 600);
  });
  // The mirror target is slow and fails: neither may reach the client.
  shadow = await startScripted((req, res) => {
    req.resume();
    setTimeout(() => answer(res, 500, "shadow"), 2_000);
  });
  hc = await startHc();
  hcPort = hc.port;
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const healthCheck = { type: "http", path: "/health", intervalMs: 150, timeoutMs: 100, unhealthyThreshold: 2, healthyThreshold: 2 };
  proxy = await startProxy({
    config: proxyConfig(
      port,
      [
        { name: "ring", match: { prefix: "/ring" }, route: { cluster: "ring", hashPolicy: [{ header: "x-user" }] } },
        { name: "maglev", match: { prefix: "/maglev" }, route: { cluster: "maglev", hashPolicy: [{ cookie: "sid" }] } },
        { name: "hc", match: { prefix: "/hc" }, route: { cluster: "hc" } },
        { name: "tcp", match: { prefix: "/tcp" }, route: { cluster: "tcp" } },
        { name: "outlier", match: { prefix: "/outlier" }, route: { cluster: "outlier" } },
        { name: "breaker", match: { prefix: "/breaker" }, route: { cluster: "breaker" } },
        { name: "mirror", match: { prefix: "/mirror" }, route: { cluster: "a", mirror: [{ cluster: "shadow", fraction: 1 }] } },
        { name: "panic", match: { prefix: "/panic" }, route: { cluster: "panic" } },
      ],
      [
        { name: "ring", lbPolicy: "ringHash", endpoints: [ep(a.port), ep(b.port), ep(c.port)] },
        { name: "maglev", lbPolicy: "maglev", endpoints: [ep(a.port), ep(b.port), ep(c.port)] },
        // Endpoint b has no /health of its own... it answers 200 to everything, so it stays healthy.
        { name: "hc", endpoints: [ep(hcPort), ep(b.port)], healthCheck },
        { name: "tcp", endpoints: [ep(a.port), ep(await freePort())], healthCheck: { type: "tcp", intervalMs: 150, timeoutMs: 100 } },
        {
          name: "outlier",
          endpoints: [ep(sick.port), ep(a.port), ep(b.port)],
          outlierDetection: { consecutive5xx: 3, intervalMs: 100, baseEjectionTimeMs: 1_000, maxEjectionPercent: 50 },
        },
        { name: "breaker", endpoints: [ep(slow.port)], circuitBreakers: { maxConnections: 1, maxPendingRequests: 1, maxRequests: 100 } },
        { name: "shadow", endpoints: [ep(shadow.port)] },
        { name: "a", endpoints: [ep(a.port)] },
        // 1 of 3 healthy (< 50%): panic, traffic goes to all three.
        { name: "panic", endpoints: [ep(a.port), ep(await freePort()), ep(await freePort())], healthCheck: { type: "tcp", intervalMs: 150, timeoutMs: 100 } },
      ],
    ),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([a, b, c, sick, slow, shadow, hc].map((u) => u?.close()));
});

async function upstreamOf(path: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${base}${path}`, { headers });
  const body = (await res.json()) as { upstream: string };
  return body.upstream;
}

async function clusters(): Promise<TClustersBody["clusters"]> {
  return ((await (await proxy.admin("/clusters")).json()) as TClustersBody).clusters;
}

describe("hash load balancing", () => {
  it("ringHash keeps a header value on one endpoint and spreads different values", async () => {
    const seen = new Set<string>();
    for (let u = 0; u < 12; u++) {
      const first = await upstreamOf("/ring", { "x-user": `user-${u}` });
      for (let i = 0; i < 3; i++) expect(await upstreamOf("/ring", { "x-user": `user-${u}` })).toBe(first);
      seen.add(first);
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it("maglev keeps a cookie value on one endpoint", async () => {
    const seen = new Set<string>();
    for (let u = 0; u < 12; u++) {
      const cookie = `theme=dark; sid=s${u}`;
      const first = await upstreamOf("/maglev", { cookie });
      for (let i = 0; i < 3; i++) expect(await upstreamOf("/maglev", { cookie })).toBe(first);
      seen.add(first);
    }
    expect(seen.size).toBeGreaterThan(1);
  });
});

describe("active health checks", () => {
  it("takes a failing endpoint out, logs and counts it, and brings it back when it recovers", async () => {
    const hcCluster = async () => (await clusters()).find((x) => x.name === "hc")!;
    await waitFor(async () => (await hcCluster()).endpoints.every((e) => e.health === "healthy"), 10_000, "both healthy");

    hcHealthy = false;
    await waitFor(async () => (await hcCluster()).endpoints.find((e) => e.port === hcPort)?.health === "unhealthy", 10_000, "hc unhealthy");
    for (let i = 0; i < 6; i++) expect(await upstreamOf("/hc")).toBe("b");
    await proxy.waitForEvent((e) => e.event === "health_check_transition" && e.to === "unhealthy" && e.cluster === "hc");

    // Stop the upstream entirely, then bring it back on the same port.
    await hc.close();
    hcHealthy = true;
    await sleep(300);
    hc = await startHc(hcPort);
    await waitFor(async () => (await hcCluster()).endpoints.find((e) => e.port === hcPort)?.health === "healthy", 10_000, "hc healthy again");
    const got = new Set<string>();
    for (let i = 0; i < 6; i++) got.add(await upstreamOf("/hc"));
    expect(got).toEqual(new Set(["hc", "b"]));
    const prom = await (await proxy.admin("/stats/prometheus")).text();
    expect(metricValue(prom, "switchyard_health_check_transitions_total", 'cluster="hc",to="unhealthy"')).toBeGreaterThanOrEqual(1);
    expect(metricValue(prom, "switchyard_cluster_membership_healthy", 'cluster="hc"')).toBe(2);
  });

  it("tcp checks mark a closed port unhealthy; below the panic threshold all endpoints are used", async () => {
    await waitFor(async () => (await clusters()).find((x) => x.name === "tcp")?.endpoints[1]?.health === "unhealthy", 10_000, "tcp unhealthy");
    for (let i = 0; i < 4; i++) expect(await upstreamOf("/tcp")).toBe("a");
    const panic = await waitFor(async () => {
      const p = (await clusters()).find((x) => x.name === "panic");
      return p && p.endpoints.filter((e) => e.health === "unhealthy").length === 2 ? p : null;
    }, 10_000, "panic cluster checked");
    expect(panic.panic).toBe(true);
    // Panic: round robin over all three, so two of three requests hit closed ports (503 UF).
    const statuses = await Promise.all([1, 2, 3, 4, 5, 6].map(async () => (await fetch(`${base}/panic`)).status));
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(2);
  });
});

describe("outlier detection", () => {
  it("ejects an endpoint after consecutive 5xx, shows it in /clusters and metrics, and un-ejects it when time is up", async () => {
    for (let i = 0; i < 12; i++) await fetch(`${base}/outlier`).then((r) => r.text());
    const sickEp = async () => (await clusters()).find((x) => x.name === "outlier")!.endpoints.find((e) => e.port === sick.port)!;
    expect((await sickEp()).ejected).toBe(true);
    for (let i = 0; i < 6; i++) expect(["a", "b"]).toContain(await upstreamOf("/outlier"));
    const prom = await (await proxy.admin("/stats/prometheus")).text();
    expect(metricValue(prom, "switchyard_outlier_ejections_active", 'cluster="outlier"')).toBe(1);
    await proxy.waitForEvent((e) => e.event === "outlier_ejected" && e.cluster === "outlier");
    // baseEjectionTimeMs 1000 (x1 for the first ejection) + one 100 ms sweep.
    await waitFor(async () => !(await sickEp()).ejected, 5_000, "un-ejection");
    await proxy.waitForEvent((e) => e.event === "outlier_unejected" && e.cluster === "outlier");
  });
});

describe("circuit breakers", () => {
  it("with the pool full (1 connection, 1 pending) the next request gets 503 UO at once and is counted", async () => {
    const started = performance.now();
    const results = await Promise.all(
      [0, 1, 2].map(async (i) => {
        await sleep(i * 60);
        const res = await fetch(`${base}/breaker`);
        await res.text();
        return { status: res.status, flags: res.headers.get("x-switchyard-response-flags"), ms: performance.now() - started };
      }),
    );
    const overflow = results.filter((r) => r.status === 503);
    expect(overflow).toHaveLength(1);
    expect(overflow[0]!.flags).toBe("UO");
    // Refused at once, not after the 600 ms upstream.
    expect(overflow[0]!.ms).toBeLessThan(500);
    expect(results.filter((r) => r.status === 200)).toHaveLength(2);
    const prom = await (await proxy.admin("/stats/prometheus")).text();
    expect(metricValue(prom, "switchyard_upstream_rq_pending_overflow_total", 'cluster="breaker"')).toBe(1);
  });
});

describe("mirroring", () => {
  it("copies requests to the shadow cluster with Host -shadow; its slowness and 500s never reach the client", async () => {
    const before = shadow.seen.length;
    const t0 = performance.now();
    const res = await fetch(`${base}/mirror/x`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { upstream: string }).upstream).toBe("a");
    expect(performance.now() - t0).toBeLessThan(1_500);
    await waitFor(async () => shadow.seen.length > before, 5_000, "mirror arrival");
    const u = new URL(base);
    expect(shadow.seen[before]!.headers.host).toBe(`${u.hostname}-shadow:${u.port}`);
    expect(shadow.seen[before]!.url).toBe("/mirror/x");
  });
});
