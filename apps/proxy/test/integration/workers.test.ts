import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";
import { startUpstream, type TUpstream } from "../helpers/start-upstream.ts";

/**
 * `--workers 2` (node:cluster): the real CLI, a real upstream, real sockets. Each request
 * uses its own connection (`connection: close`) so the primary deals connections out to
 * both workers.
 */

type TAnswer = { status: number; body: string; error?: string };

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<TAnswer> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, headers: { connection: "close", ...headers }, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", (err) => resolve({ status: 0, body, error: err.message }));
    });
    req.on("error", (err) => resolve({ status: 0, body: "", error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end();
  });
}

const config = (port: number, upstreamPort: number, body = "v1") => ({
  listeners: [{ name: "main", address: "127.0.0.1", port, routeConfig: "main" }],
  routeConfigs: [
    {
      name: "main",
      virtualHosts: [
        {
          name: "all",
          domains: ["*"],
          routes: [
            { name: "version", match: { path: "/version" }, directResponse: { status: 200, body } },
            { name: "up", match: { prefix: "/" }, route: { cluster: "up" } },
          ],
        },
      ],
    },
  ],
  clusters: [{ name: "up", endpoints: [{ address: "127.0.0.1", port: upstreamPort }] }],
});

const metricValue = (text: string, pattern: RegExp): number =>
  text
    .split("\n")
    .filter((l) => pattern.test(l))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);

describe("--workers 2", () => {
  let upstream: TUpstream;
  let proxy: TProxyProcess;
  let port: number;

  beforeAll(async () => {
    upstream = await startUpstream("up");
    port = await freePort();
    proxy = await startProxy({ config: config(port, upstream.port), args: ["--workers", "2"], accessLogFile: true, readyTimeoutMs: 30_000 });
  }, 40_000);
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.close();
  });

  it("forks two workers that share the listener; the primary serves admin once and merges their metrics", async () => {
    const up = await proxy.waitForEvent((e) => e.event === "workers_up");
    expect(up.pids).toHaveLength(2);
    // Each worker applied the version and bound (a share of) the same socket.
    await proxy.waitForEvent((e) => e.event === "config_applied" && e.workers === 2);
    expect(proxy.events().filter((e) => e.event === "listener_up")).toHaveLength(2);
    const ready = (await (await proxy.admin("/ready")).json()) as Record<string, unknown>;
    expect(ready).toMatchObject({ state: "LIVE", version: 1, workers: 2 });

    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => get(port, `/items/${i}`)));
    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200));

    const prom = await (await proxy.admin("/stats/prometheus")).text();
    // Summed over the workers: every request counted once.
    expect(metricValue(prom, /^switchyard_http_requests_total\{.*route="up".*code_class="2xx"/)).toBe(40);
    expect(metricValue(prom, /^switchyard_http_request_duration_seconds_count\{.*route="up"/)).toBe(40);
    // Per-process state is not summed: one version, applied once.
    expect(metricValue(prom, /^switchyard_config_version /)).toBe(1);
    expect(metricValue(prom, /^switchyard_config_apply_total\{result="applied"\}/)).toBe(1);
    const clusters = (await (await proxy.admin("/clusters")).json()) as { clusters: { name: string; endpoints: { successes: number }[] }[] };
    expect(clusters.clusters.find((c) => c.name === "up")?.endpoints[0]?.successes).toBe(40);
  });

  it("fans a changed config file out to every worker, and refuses a bad one once, keeping the running version", async () => {
    await proxy.writeConfig(config(port, upstream.port, "v2"));
    const applied = await proxy.waitForEvent((e) => e.event === "config_applied" && e.version === 2 && e.workers === 2);
    // The primary validated only the route that changed (ValidationMemo), as each worker does.
    expect(applied.resources).toMatchObject({ validated: 1 });
    expect((applied.resources as { unchanged: number }).unchanged).toBeGreaterThanOrEqual(3);
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(port, "/version")));
    expect(answers.map((a) => a.body)).toEqual(Array(20).fill("v2"));

    await proxy.writeConfig({ ...config(port, upstream.port, "v3"), clusters: [] });
    await proxy.waitForEvent((e) => e.event === "config_rejected");
    const after = await Promise.all(Array.from({ length: 10 }, () => get(port, "/version")));
    expect(after.map((a) => a.body)).toEqual(Array(10).fill("v2"));
    const prom = await (await proxy.admin("/stats/prometheus")).text();
    expect(metricValue(prom, /^switchyard_config_version /)).toBe(2);
    expect(metricValue(prom, /^switchyard_config_apply_total\{result="rejected"\}/)).toBe(1);
  });

  it("replaces a worker that dies; the replacement gets the applied version and traffic keeps flowing", async () => {
    const up = await proxy.waitForEvent((e) => e.event === "workers_up");
    const victim = (up.pids as number[])[0] as number;
    process.kill(victim, "SIGKILL");
    await proxy.waitForEvent((e) => e.event === "worker_exited" && e.pid === victim);
    // The replacement applies version 2 before it serves.
    for (let i = 0; i < 100; i++) {
      const ready = (await (await proxy.admin("/ready")).json()) as { state: string; workers: number };
      if (ready.state === "LIVE" && ready.workers === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(port, "/version")));
    expect(answers.map((a) => a.body)).toEqual(Array(20).fill("v2"));
  }, 30_000);
});

describe("--workers 2, SIGTERM", () => {
  it("stops accepting, finishes in-flight requests, answers /ready 503 while draining, and exits 0", async () => {
    const upstream = await startUpstream("slow");
    const port = await freePort();
    const proxy = await startProxy({ config: config(port, upstream.port), args: ["--workers", "2"], accessLogFile: true, readyTimeoutMs: 30_000 });
    try {
      // Eight requests the upstream holds for 1.5 s, spread over both workers.
      const inflight = Array.from({ length: 8 }, (_, i) => get(port, `/slow/${i}`, { "x-upstream-delay-ms": "1500" }));
      await new Promise((r) => setTimeout(r, 400));
      const exited = proxy.stop("SIGTERM");
      await proxy.waitForEvent((e) => e.event === "shutdown");
      const draining = await proxy.admin("/ready").then((r) => r.status, () => 0);
      const answers = await Promise.all(inflight);
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
      // 503 while the workers drain (0 if the admin server had already closed: it closes last).
      expect([503, 0]).toContain(draining);
      expect(await exited).toBe(0);
      const refused = await get(port, "/after");
      expect(refused.status).toBe(0);
      expect(refused.error).toBe("ECONNREFUSED");
    } finally {
      await proxy.stop("SIGKILL");
      await upstream.close();
    }
  }, 40_000);
});
