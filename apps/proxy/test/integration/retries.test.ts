import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";
import { answer, ep, metricValue, proxyConfig, startScripted, type TScripted } from "../helpers/traffic.ts";

/**
 * Retries, per-try and route timeouts against upstreams that misbehave on the FIRST try
 * only (they read x-switchyard-attempt-count), so a passing request proves the retry.
 */
let flaky: TScripted;
let good: TScripted;
let proxy: TProxyProcess;
let base: string;
let closedPort: number;

const mode = (url: string) => new URL(url, "http://x").searchParams.get("mode") ?? "";

beforeAll(async () => {
  // First try: misbehave as ?mode= says; later tries: 200.
  flaky = await startScripted((req, res) => {
    const attempt = Number(req.headers["x-switchyard-attempt-count"] ?? 0);
    const m = mode(req.url ?? "");
    req.resume();
    if (attempt === 1 || m === "always503" || m === "alwaysSlow") {
      if (m === "503" || m === "always503") return answer(res, 503, "flaky", { attempt });
      if (m === "409") return answer(res, 409, "flaky", { attempt });
      if (m === "reset") return req.socket.destroy();
      if (m === "slow" || m === "alwaysSlow") return void setTimeout(() => answer(res, 200, "flaky-slow", { attempt }), 1_500);
    }
    req.on("end", () => answer(res, 200, "flaky", { attempt }));
  });
  good = await startScripted((req, res) => {
    req.resume();
    req.on("end", () => answer(res, 200, "good", { attempt: Number(req.headers["x-switchyard-attempt-count"]) }));
  });
  closedPort = await freePort();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const retry = (extra: Record<string, unknown> = {}) => ({ retryOn: ["5xx"], numRetries: 2, backoff: { baseMs: 5, maxMs: 20 }, ...extra });
  proxy = await startProxy({
    accessLogFile: true,
    config: proxyConfig(
      port,
      [
        { name: "retry", match: { prefix: "/retry" }, route: { cluster: "flaky", retryPolicy: retry() } },
        { name: "no-retry", match: { prefix: "/none" }, route: { cluster: "flaky" } },
        { name: "gw", match: { prefix: "/gw" }, route: { cluster: "flaky", retryPolicy: retry({ retryOn: ["gateway-error"] }) } },
        { name: "4xx", match: { prefix: "/r4xx" }, route: { cluster: "flaky", retryPolicy: retry({ retryOn: ["retriable-4xx"] }) } },
        { name: "codes", match: { prefix: "/codes" }, route: { cluster: "flaky", retryPolicy: retry({ retryOn: ["retriable-status-codes"], retriableStatusCodes: [409] }) } },
        { name: "reset", match: { prefix: "/reset" }, route: { cluster: "flaky", retryPolicy: retry({ retryOn: ["reset"] }) } },
        { name: "connect", match: { prefix: "/connect" }, route: { cluster: "half-closed", retryPolicy: retry({ retryOn: ["connect-failure"], numRetries: 1 }) } },
        { name: "pertry", match: { prefix: "/pertry" }, route: { cluster: "flaky", timeoutMs: 5_000, retryPolicy: retry({ perTryTimeoutMs: 300 }) } },
        { name: "budget", match: { prefix: "/budget" }, route: { cluster: "flaky", timeoutMs: 800, retryPolicy: retry({ numRetries: 10, perTryTimeoutMs: 300 }) } },
        { name: "small-buffer", match: { prefix: "/big" }, route: { cluster: "flaky", retryPolicy: retry({ maxBufferBytes: 1024 }) } },
        { name: "timeout", match: { prefix: "/timeout" }, route: { cluster: "flaky", timeoutMs: 300 } },
        { name: "idle", match: { prefix: "/idle" }, route: { cluster: "flaky", idleTimeoutMs: 300 } },
      ],
      [
        { name: "flaky", endpoints: [ep(flaky.port)] },
        // One endpoint refuses connections, the other works: a retry must go to the other one.
        { name: "half-closed", lbPolicy: "roundRobin", endpoints: [ep(closedPort), ep(good.port)] },
      ],
    ),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([flaky?.close(), good?.close()]);
});

async function get(path: string, init?: RequestInit) {
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  return { status: res.status, flags: res.headers.get("x-switchyard-response-flags"), text, json: () => JSON.parse(text) as { upstream: string; attempt: number } };
}

describe("retries", () => {
  it("retries a 503 on 5xx and sends x-switchyard-attempt-count; without a policy the 503 goes out", async () => {
    const r = await get("/retry?mode=503");
    expect(r.status).toBe(200);
    expect(r.json().attempt).toBe(2);
    expect((await get("/none?mode=503")).status).toBe(503);
    const prom = await (await proxy.admin("/stats/prometheus")).text();
    expect(metricValue(prom, "switchyard_upstream_rq_retry_total", 'cluster="flaky"')).toBeGreaterThanOrEqual(1);
  });

  it("gives up after numRetries with the upstream's answer, flagged URX in the access log", async () => {
    const r = await get("/retry?mode=always503&id=urx");
    expect(r.status).toBe(503);
    expect(r.json().attempt).toBe(3);
    expect((await proxy.waitForAccessLog((l) => String(l.path).includes("id=urx"))).responseFlags).toBe("URX");
  });

  it("honours gateway-error, retriable-4xx and retriable-status-codes", async () => {
    expect((await get("/gw?mode=503")).json().attempt).toBe(2);
    expect((await get("/r4xx?mode=409")).json().attempt).toBe(2);
    expect((await get("/codes?mode=409")).json().attempt).toBe(2);
    // 409 is not a 5xx: the 5xx route passes it through.
    expect((await get("/retry?mode=409")).status).toBe(409);
  });

  it("retries a reset before headers (reset) and a refused connection on another endpoint (connect-failure)", async () => {
    expect((await get("/reset?mode=reset")).json().attempt).toBe(2);
    for (let i = 0; i < 4; i++) {
      const r = await get("/connect");
      expect(r.status).toBe(200);
      expect(r.json().upstream).toBe("good");
    }
  });

  it("a per-try timeout moves on to the next try; the route timeout covers every try (504 UT)", async () => {
    const t0 = performance.now();
    const r = await get("/pertry?mode=slow");
    expect(r.status).toBe(200);
    expect(r.json().attempt).toBe(2);
    expect(performance.now() - t0).toBeLessThan(1_400);

    const t1 = performance.now();
    const b = await get("/budget?mode=alwaysSlow");
    expect(b.status).toBe(504);
    expect(b.flags).toBe("UT");
    // 10 retries of 300 ms would take 3 s; the 800 ms route timeout ends it.
    expect(performance.now() - t1).toBeLessThan(2_000);
  });

  it("replays a buffered body on retry, and does not retry a body above maxBufferBytes", async () => {
    const small = "x".repeat(500);
    const r = await get("/big?mode=503", { method: "POST", body: small });
    expect(r.status).toBe(200);
    const big = "y".repeat(4096);
    const seenBefore = flaky.seen.length;
    const b = await get("/big?mode=503&id=big", { method: "POST", body: big });
    expect(b.status).toBe(503);
    expect(flaky.seen.length - seenBefore).toBe(1);
  });
});

describe("timeouts", () => {
  it("route timeout answers 504 UT", async () => {
    const r = await get("/timeout?mode=slow");
    expect(r.status).toBe(504);
    expect(r.flags).toBe("UT");
  });

  it("route idleTimeoutMs answers 504 UT when the upstream goes quiet", async () => {
    const r = await get("/idle?mode=slow");
    expect(r.status).toBe(504);
    expect(r.flags).toBe("UT");
  });
});
