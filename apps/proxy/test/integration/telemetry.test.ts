import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { WebSocketServer, type WebSocket } from "ws";
import { ZNodeToConsoleMessage, hashConfig, percentileMs, statsSamples, LATENCY_BOUNDS_MS, LATENCY_LAYOUT_ID, type TStatsMessage, type TStatsSample, type TSpansMessage, type THealthMessage } from "@switchyard/config-model";
import { freePort } from "../helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";
import { startUpstream, type TUpstream } from "../helpers/start-upstream.ts";

/**
 * Telemetry over the control-plane socket, against a minimal control plane speaking the
 * real wire protocol: stats windows (exact counts, status classes, bytes, histogram),
 * health transitions on config changes, span batches, and a bounded queue that counts
 * what it drops while the console is away. Every frame is checked against the schema.
 */
let upstream: TUpstream;
let proxy: TProxyProcess;
let wss: WebSocketServer;
let socket: WebSocket | null = null;
const frames: Record<string, unknown>[] = [];
let listenPort: number;

function config(endpoints: number[]) {
  return {
    listeners: [{ name: "public", address: "127.0.0.1", port: listenPort, routeConfig: "main", accessLog: { sampleRate: 0 }, tracing: { trustedSources: ["127.0.0.1/32"] } }],
    routeConfigs: [
      {
        name: "main",
        virtualHosts: [
          {
            name: "all",
            domains: ["*"],
            routes: [
              { name: "ping", match: { path: "/ping" }, directResponse: { status: 200, body: "pong" } },
              { name: "api", match: { prefix: "/api" }, route: { cluster: "up" } },
            ],
          },
        ],
      },
    ],
    clusters: [{ name: "up", endpoints: endpoints.map((port) => ({ address: "127.0.0.1", port })) }],
  };
}

function send(version: number, cfg: unknown) {
  socket!.send(JSON.stringify({ type: "snapshot", version, hash: hashConfig(cfg), config: cfg }));
}

async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; frames: ${frames.map((f) => f.type).join(",")}`);
}

const ofType = <T>(type: string) => frames.filter((f) => f.type === type) as T[];

beforeAll(async () => {
  upstream = await startUpstream("tele");
  listenPort = await freePort();
  wss = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/api/xds" });
  await new Promise<void>((r) => wss.once("listening", r));
  wss.on("connection", (ws) => {
    socket = ws;
    ws.on("message", (data) => {
      const parsed = ZNodeToConsoleMessage.safeParse(JSON.parse(String(data)));
      // A frame the console would refuse fails the test loudly.
      frames.push(parsed.success ? parsed.data : { type: "INVALID", error: parsed.error.message });
    });
  });
  const port = (wss.address() as AddressInfo).port;
  proxy = await startProxy({
    args: ["--control-plane", `ws://127.0.0.1:${port}/api/xds`, "--node-id", "tele-1", "--stats-interval-ms", "500", "--cache-dir", "cache"],
    waitReady: false,
  });
  await waitFor("hello", () => (socket && frames.some((f) => f.type === "hello") ? true : undefined));
  send(1, config([upstream.port]));
  await waitFor("ack", () => frames.find((f) => f.type === "ack"));
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await new Promise((r) => wss?.close(r));
  await upstream?.close();
});

describe("telemetry to the console", () => {
  it("reports exact per-route and per-cluster windows: counts, status classes, bytes and a mergeable histogram", async () => {
    const base = `http://127.0.0.1:${listenPort}`;
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const bad = i % 10 === 0;
      const res = await request(`${base}/api/x${i}`, { headers: bad ? { "x-upstream-status": "503" } : { "x-upstream-delay-ms": i % 2 ? "30" : "0" } });
      await res.body.text();
      statuses.push(res.statusCode);
    }
    for (let i = 0; i < 5; i++) await (await request(`${base}/ping`)).body.text();
    await (await request(`${base}/nowhere`)).body.text();

    // Sum every stats window until the totals are in (windows are 500 ms here).
    const totals = await waitFor("all 46 requests in stats windows", () => {
      const entries = samplesOf(ofType<TStatsMessage>("stats"));
      const sum = (pred: (e: TStatsSample) => boolean) => entries.filter(pred);
      const api = sum((e) => e.kind === "route" && e.name === "api");
      const n = api.reduce((a, e) => a + e.requests, 0);
      return n === 40 ? { entries, api } : undefined;
    });
    expect(frames.some((f) => f.type === "INVALID")).toBe(false);
    const api = totals.api;
    expect(api.every((e) => e.listener === "public" && e.cluster === "up")).toBe(true);
    const add = (es: typeof api, k: 1 | 4) => es.reduce((a, e) => a + e.classes[k], 0);
    expect(add(api, 1)).toBe(36);
    expect(add(api, 4)).toBe(4);
    const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
    for (const e of api) for (const [i, c] of e.counts) counts[i] = (counts[i] ?? 0) + c;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(40);
    // Half the successful requests waited 30 ms upstream: p90 lands at >= 30 ms.
    expect(percentileMs(counts, 0.9)).toBeGreaterThanOrEqual(29);
    expect(percentileMs(counts, 0.9)).toBeLessThan(200);
    expect(api.reduce((a, e) => a + e.bytesOut, 0)).toBeGreaterThan(0);
    const cluster = totals.entries.filter((e) => e.kind === "cluster" && e.name === "up");
    expect(cluster.reduce((a, e) => a + e.requests, 0)).toBe(40);
    await waitFor("ping and the unrouted request", () => {
      const es = samplesOf(ofType<TStatsMessage>("stats"));
      const ping = es.filter((e) => e.name === "ping").reduce((a, e) => a + e.requests, 0);
      const none = es.filter((e) => e.kind === "route" && e.name === "").reduce((a, e) => a + e.classes[3], 0);
      return ping === 5 && none === 1 ? true : undefined;
    });
  });

  it("sends sampled spans in batches", async () => {
    const tid = "77777777777777777777777777777777";
    await (await request(`http://127.0.0.1:${listenPort}/api/traced`, { headers: { traceparent: `00-${tid}-00f067aa0ba902b7-01` } })).body.text();
    const spans = await waitFor("the request's spans", () => {
      const s = ofType<TSpansMessage>("spans").flatMap((m) => m.spans).filter((x) => x.traceId === tid);
      return s.length === 2 ? s : undefined;
    });
    const server = spans.find((s) => s.kind === "server")!;
    expect(server.parentSpanId).toBe("00f067aa0ba902b7");
    expect(server.attributes["switchyard.route"]).toBe("api");
    expect(spans.find((s) => s.kind === "client")!.parentSpanId).toBe(server.spanId);
  });

  it("reports endpoint membership transitions when a version changes the endpoints", async () => {
    const other = await freePort();
    send(2, config([upstream.port, other]));
    const ev = await waitFor("a health event for the added endpoint", () =>
      ofType<THealthMessage>("health").flatMap((m) => m.events).find((e) => e.endpoint === `127.0.0.1:${other}`),
    );
    expect(ev).toMatchObject({ cluster: "up", healthy: true, reason: "added" });
    send(3, config([upstream.port]));
    const gone = await waitFor("a health event for the removed endpoint", () =>
      ofType<THealthMessage>("health").flatMap((m) => m.events).find((e) => e.endpoint === `127.0.0.1:${other}` && !e.healthy),
    );
    expect(gone.reason).toBe("removed");
  });

  it("reports active health-check transitions as they happen", async () => {
    const cfg = config([upstream.port]);
    const withCheck = {
      ...cfg,
      clusters: [
        ...cfg.clusters,
        { name: "checked", endpoints: [{ address: "127.0.0.1", port: upstream.port }], healthCheck: { type: "http", path: "/health", intervalMs: 100, timeoutMs: 100 } },
      ],
    };
    send(4, withCheck);
    const answer = await waitFor("ack or nack of v4", () => frames.find((f) => (f.type === "ack" || f.type === "nack") && f.version === 4));
    expect(answer, JSON.stringify(answer)).toMatchObject({ type: "ack" });
    // Endpoints of a checked cluster start unhealthy; the first passing probe makes them healthy.
    const ev = await waitFor("the health-check transition", () =>
      ofType<THealthMessage>("health").flatMap((m) => m.events).find((e) => e.cluster === "checked" && e.reason.startsWith("health_check")),
    );
    expect(ev).toMatchObject({ endpoint: `127.0.0.1:${upstream.port}`, healthy: true });
    send(5, config([upstream.port]));
  });

  it("queues while the console is away, bounded, and reports what it dropped", async () => {
    // Close the socket from the console side; the node reconnects with back-off.
    const before = frames.length;
    socket!.terminate();
    socket = null;
    // Traffic while disconnected: sent after the reconnect from the queue.
    for (let i = 0; i < 10; i++) await (await request(`http://127.0.0.1:${listenPort}/api/away`)).body.text();
    await waitFor("reconnect", () => (socket && frames.slice(before).some((f) => f.type === "hello") ? true : undefined), 20_000);
    const after = await waitFor("the windows from while it was away", () => {
      const n = samplesOf(frames.slice(before).filter((f) => f.type === "stats") as TStatsMessage[])
        .filter((e) => e.kind === "route" && e.name === "api")
        .reduce((a, e) => a + e.requests, 0);
      return n >= 10 ? n : undefined;
    });
    expect(after).toBe(10);
    const metrics = await (await proxy.admin("/stats/prometheus")).text();
    expect(metrics).toMatch(/switchyard_telemetry_dropped_total\{kind="stats_window"\} 0/);
  });
});

/** Every row of the frames, decoded the way the console decodes them (the proxy sends the compact form, its layout named by id). */
function samplesOf(msgs: TStatsMessage[]): TStatsSample[] {
  return msgs.flatMap((m) => {
    expect(m.layout).toBe(LATENCY_LAYOUT_ID);
    expect(m.entries).toEqual([]);
    const decoded = statsSamples(m);
    if ("error" in decoded) throw new Error(decoded.error);
    return decoded.samples;
  });
}
