import { describe, expect, it } from "vitest";
import { endpointStates, explainFailure, splitFlags, type TExplainInput } from "../src/lib/why-failed.ts";

const base: TExplainInput = {
  status: 503,
  flags: "UF",
  route: "users",
  cluster: "users",
  upstreamHost: "10.0.0.5:9000",
  nodeId: "n1",
  at: 10_000,
  durationMs: 12,
  tries: [{ attempt: 1, host: "10.0.0.5:9000", status: 0, flags: "UF", durationMs: 3 }],
  version: { version: 7, exact: true },
  routeConfig: { timeoutMs: 15000 },
  clusterConfig: { endpoints: [{ address: "10.0.0.5", port: 9000 }] },
  health: [],
};

describe("explainFailure", () => {
  it("says what happened in words: flag, route, cluster, node, version, and that there was no retry policy", () => {
    const e = explainFailure(base);
    expect(e.headline).toBe('503 from route "users" → cluster "users" on node n1 on v7: connecting to the upstream endpoint failed (UF).');
    expect(e.flags).toEqual([{ code: "UF", words: "connecting to the upstream endpoint failed" }]);
    expect(e.retries).toEqual({ taken: 0, allowed: 0, retryOn: [] });
    expect(e.advice.join("\n")).toMatch(/has no retryPolicy: add one/);
    expect(e.advice.join("\n")).toMatch(/neither a healthCheck nor outlierDetection/);
    expect(e.advice.join("\n")).toMatch(/single endpoint \(10\.0\.0\.5:9000\)/);
  });

  it("gives the endpoint's state at that moment from the transitions before it, not after", () => {
    const e = explainFailure({
      ...base,
      health: [
        { endpoint: "10.0.0.5:9000", healthy: false, reason: "outlier_ejected", at: 9_000 },
        { endpoint: "10.0.0.5:9000", healthy: true, reason: "outlier_returned", at: 11_000 },
      ],
    });
    expect(e.endpoint).toEqual({ endpoint: "10.0.0.5:9000", state: "ejected", since: 9_000, reason: "outlier_ejected" });
    expect(e.advice.join("\n")).toMatch(/was ejected at that moment/);
  });

  it("counts retries against the policy and says when they were all used", () => {
    const e = explainFailure({
      ...base,
      flags: "URX",
      routeConfig: { retryPolicy: { retryOn: ["connect-failure"], numRetries: 2 } },
      tries: [1, 2, 3].map((attempt) => ({ attempt, host: `10.0.0.${attempt}:9000`, status: 503, flags: "-", durationMs: 2 })),
      upstreamHost: "10.0.0.3:9000",
    });
    expect(e.retries).toEqual({ taken: 2, allowed: 2, retryOn: ["connect-failure"] });
    expect(e.headline).toMatch(/after 3 tries\.$/);
    expect(e.advice.join("\n")).toMatch(/all 2 retries allowed were taken/);
  });

  it("names the circuit breaker's limits on UO, and an inexact version", () => {
    const e = explainFailure({ ...base, flags: "UO", clusterConfig: { circuitBreakers: { maxPendingRequests: 10 } }, version: { version: 3, exact: false } });
    expect(e.breaker).toEqual({ maxPendingRequests: 10 });
    expect(e.advice.join("\n")).toMatch(/maxPendingRequests 10/);
    expect(e.advice.join("\n")).toMatch(/v3 is the latest published before the request/);
  });

  it("explains an upstream's own 5xx (no flag) and a request with no route", () => {
    expect(explainFailure({ ...base, flags: "-" }).headline).toMatch(/the upstream answered 503\.$/);
    const nr = explainFailure({ ...base, status: 404, flags: "NR", route: "", cluster: "", upstreamHost: "", tries: [], routeConfig: null, clusterConfig: null });
    expect(nr.headline).toBe("404 from no route on node n1 on v7: no route matched the request's host and path (NR).");
    expect(nr.endpoint).toBeNull();
  });
});

describe("helpers", () => {
  it("splits flags and lists every endpoint with its state", () => {
    expect(splitFlags("UF,URX")).toEqual(["UF", "URX"]);
    expect(splitFlags("-")).toEqual([]);
    expect(endpointStates([{ endpoint: "b:1", healthy: false, reason: "health_check: 500", at: 5 }], 10, ["a:1", "b:1"])).toEqual([
      { endpoint: "a:1", state: "unknown", since: null, reason: null },
      { endpoint: "b:1", state: "unhealthy", since: 5, reason: "health_check: 500" },
    ]);
  });
});

describe("parseAccessLogLine", () => {
  it("reads the proxy's JSON line and says why another text is not one", async () => {
    const { parseAccessLogLine } = await import("../src/lib/access-log-line.ts");
    const line = '{"time":"2026-12-06T18:53:20.933Z","method":"GET","path":"/dead/1","status":503,"responseFlags":"UF","durationMs":2.1,"upstreamHost":"127.0.0.1:9","traceId":null,"route":"dead","cluster":"dead","attempts":1}';
    expect(parseAccessLogLine(line)).toMatchObject({ ok: true, line: { status: 503, responseFlags: "UF", upstreamHost: "127.0.0.1:9", route: "dead", attempts: 1 } });
    expect(parseAccessLogLine("GET /dead 503")).toEqual({ ok: false, error: expect.stringMatching(/^not JSON/) });
    expect(parseAccessLogLine('{"status":503}')).toEqual({ ok: false, error: expect.stringMatching(/^time: /) });
  });
});
