import { createServer, type AddressInfo, type Server } from "node:net";
import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { ZStatsMessage, statsSamples } from "@switchyard/config-model";
import { freePort } from "../helpers/free-port.ts";
import { startInProcessProxy, type TInProcessProxy } from "../helpers/in-process-proxy.ts";

/**
 * WebSocket upgrades run the same pipeline as every request (issue #14): rate limits,
 * circuit breakers, outlier reporting, the stats window, spans and response filters
 * apply to them. Real ws clients and servers, the proxy's runtime in-process so the test
 * reads its stats window, spans and ejections directly.
 */
let wss: WebSocketServer;
let refusing: Server;
let proxy: TInProcessProxy;
let base: string;
const upstreamHeaders: IncomingMessage["headers"][] = [];

beforeAll(async () => {
  wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  wss.on("connection", (ws, req) => {
    upstreamHeaders.push(req.headers);
    ws.on("message", (m) => ws.send(`echo:${String(m)}`));
  });
  await new Promise<void>((r) => wss.once("listening", r));
  // Answers every upgrade with 503: a failing endpoint for outlier detection.
  refusing = createServer((sock) => {
    sock.once("data", () => sock.end("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"));
  });
  await new Promise<void>((r) => refusing.listen(0, "127.0.0.1", r));
  const port = await freePort();
  base = `ws://127.0.0.1:${port}`;
  const wsPort = (wss.address() as AddressInfo).port;
  const upgrade = { allowUpgrade: true };
  proxy = await startInProcessProxy({
    listeners: [{ name: "web", address: "127.0.0.1", port, routeConfig: "main", tracing: { sampleRate: 1 } }],
    routeConfigs: [
      {
        name: "main",
        virtualHosts: [
          {
            name: "all",
            domains: ["*"],
            routes: [
              { name: "ws", match: { prefix: "/ws" }, route: { cluster: "ws", ...upgrade }, responseHeaders: { add: [{ name: "x-route", value: "ws" }] } },
              { name: "limited", match: { prefix: "/limited" }, route: { cluster: "ws", rateLimit: "one-per-minute", ...upgrade } },
              { name: "guarded", match: { prefix: "/guarded" }, route: { cluster: "guarded", ...upgrade } },
              { name: "flaky", match: { prefix: "/flaky" }, route: { cluster: "flaky", ...upgrade } },
            ],
          },
        ],
      },
    ],
    clusters: [
      { name: "ws", endpoints: [{ address: "127.0.0.1", port: wsPort }] },
      { name: "guarded", endpoints: [{ address: "127.0.0.1", port: wsPort }], circuitBreakers: { maxRequests: 1 } },
      {
        name: "flaky",
        endpoints: [{ address: "127.0.0.1", port: (refusing.address() as AddressInfo).port }],
        outlierDetection: { consecutive5xx: 2, maxEjectionPercent: 100, baseEjectionTimeMs: 60_000 },
      },
    ],
    rateLimitPolicies: [{ name: "one-per-minute", scope: "local", requests: 1, per: "minute", key: "none" }],
  });
});

afterAll(async () => {
  await proxy?.stop();
  wss?.close();
  refusing?.close();
});

/** Opens a ws client: resolves with the open socket and the 101's headers, or the refusal's status and headers. */
function open(path: string): Promise<{ ws: WebSocket; headers: IncomingMessage["headers"] } | { status: number; headers: IncomingMessage["headers"] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}${path}`);
    let headers: IncomingMessage["headers"] = {};
    ws.once("upgrade", (res) => (headers = res.headers));
    ws.once("open", () => resolve({ ws, headers }));
    ws.once("unexpected-response", (_req, res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      ws.terminate();
    });
    ws.once("error", reject);
  });
}

async function closeWs(ws: WebSocket): Promise<void> {
  ws.close();
  await new Promise((r) => ws.once("close", r));
}

/** The access-log entry of the request whose path starts with `path` (the pipeline's one finish). */
async function entryFor(path: string, n = 1) {
  for (let i = 0; i < 100; i++) {
    const found = proxy.accessLog.filter((e) => e.path.startsWith(path));
    if (found.length >= n) return found[n - 1];
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no access-log entry for ${path}`);
}

describe("WebSocket upgrades through the one pipeline", () => {
  it("rate limits apply: the second upgrade in the minute gets 429 RL", async () => {
    const first = await open("/limited");
    expect("ws" in first).toBe(true);
    const second = await open("/limited");
    expect("status" in second && second.status).toBe(429);
    expect(second.headers["x-switchyard-response-flags"]).toBe("RL");
    expect(second.headers["retry-after"]).toBeDefined();
    if ("ws" in first) await closeWs(first.ws);
    await entryFor("/limited", 2);
    expect(proxy.accessLog.filter((e) => e.path === "/limited").map((e) => `${e.status} ${e.responseFlags}`).sort()).toEqual(["101 -", "429 RL"]);
  });

  it("circuit breakers apply: an open tunnel holds the cluster's one request slot (503 UO), and frees it on close", async () => {
    const first = await open("/guarded");
    if (!("ws" in first)) throw new Error(`first upgrade refused: ${first.status}`);
    const second = await open("/guarded");
    expect("status" in second && second.status).toBe(503);
    expect(second.headers["x-switchyard-response-flags"]).toBe("UO");
    await closeWs(first.ws);
    await entryFor("/guarded", 2);
    // The slot comes back when the tunnel's finish ran.
    for (let i = 0; i < 50; i++) {
      const third = await open("/guarded");
      if ("ws" in third) return closeWs(third.ws);
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error("the breaker slot was never freed");
  });

  it("outlier detection hears upgrade answers: two 503s eject the endpoint", async () => {
    for (let i = 0; i < 2; i++) {
      const r = await open("/flaky");
      expect("status" in r && r.status).toBe(503);
    }
    expect(proxy.ejections.filter((e) => e.startsWith("flaky ") && e.endsWith(" ejected"))).toHaveLength(1);
  });

  it("a tunnel lands in the stats window, gets a SERVER and a CLIENT span (the upstream sees the try's traceparent), and response filters run on the 101", async () => {
    proxy.stats.take();
    const r = await open("/ws/chat");
    if (!("ws" in r)) throw new Error(`upgrade refused: ${r.status}`);
    expect(r.headers["x-route"]).toBe("ws");
    r.ws.send("ping");
    expect(String(await new Promise((res) => r.ws.once("message", res)))).toBe("echo:ping");
    await closeWs(r.ws);
    const entry = await entryFor("/ws/chat");
    expect(entry).toMatchObject({ status: 101, route: "ws", cluster: "ws", attempts: 1 });
    expect(entry?.traceId).toMatch(/^[0-9a-f]{32}$/);

    const window = proxy.stats.take();
    // The compact wire form, decoded the way the console decodes it.
    const decoded = window ? statsSamples(ZStatsMessage.parse(window)) : { samples: [] };
    const routeEntry = "samples" in decoded ? decoded.samples.find((e) => e.kind === "route" && e.name === "ws") : undefined;
    expect(routeEntry).toMatchObject({ requests: 1, classes: [1, 0, 0, 0, 0] });
    expect(routeEntry?.bytesIn).toBeGreaterThan(0);

    const server = proxy.spans.find((s) => s.traceId === entry?.traceId && s.kind === "server");
    const client = proxy.spans.find((s) => s.traceId === entry?.traceId && s.kind === "client");
    expect(server?.attributes["http.response.status_code"]).toBe(101);
    expect(client?.parentSpanId).toBe(server?.spanId);
    const seen = upstreamHeaders.at(-1);
    expect(seen?.traceparent).toBe(`00-${entry?.traceId}-${client?.spanId}-01`);
  });
});
