import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { hashConfig } from "@switchyard/config-model";
import { makeConfig } from "@switchyard/config-model/testing";
import {
  startControlPlaneClient,
  type TApplyResult,
  type TControlPlaneClient,
  type TControlPlaneClientOptions,
  type TSnapshot,
} from "../../src/control-plane/client.ts";

/** A tiny real console: a node:http server with a ws server on it, restartable on the same port. */
type FakeConsole = {
  url: string;
  port: number;
  /** Every frame received, parsed, in order, across all connections. */
  frames: Record<string, unknown>[];
  upgrades: IncomingMessage[];
  sockets: WebSocket[];
  latest(): WebSocket;
  send(data: unknown): void;
  stop(): Promise<void>;
  restart(): Promise<void>;
};

async function startFakeConsole(options: { refuseWith?: number; autoPong?: boolean; port?: number } = {}): Promise<FakeConsole> {
  const frames: Record<string, unknown>[] = [];
  const upgrades: IncomingMessage[] = [];
  const sockets: WebSocket[] = [];
  let server: Server;
  let wss: WebSocketServer;
  const raw = new Set<Socket>();

  const listen = async (port: number) => {
    server = createServer();
    wss = new WebSocketServer({ noServer: true, autoPong: options.autoPong ?? true });
    server.on("connection", (s) => {
      raw.add(s);
      s.on("close", () => raw.delete(s));
    });
    server.on("upgrade", (req, socket, head) => {
      upgrades.push(req);
      if (options.refuseWith) {
        socket.end(`HTTP/1.1 ${options.refuseWith} Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.push(ws);
        ws.on("message", (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
      });
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return (server.address() as AddressInfo).port;
  };

  const port = await listen(options.port ?? 0);
  const fake: FakeConsole = {
    url: `ws://127.0.0.1:${port}/api/xds`,
    port,
    frames,
    upgrades,
    sockets,
    latest: () => {
      const ws = sockets.at(-1);
      if (!ws) throw new Error("no connection yet");
      return ws;
    },
    send: (data) => fake.latest().send(typeof data === "string" ? data : JSON.stringify(data)),
    stop: async () => {
      for (const ws of wss.clients) ws.terminate();
      for (const s of raw) s.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    restart: async () => {
      await listen(port);
    },
  };
  consoles.push(fake);
  return fake;
}

async function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const consoles: FakeConsole[] = [];
const clients: TControlPlaneClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(consoles.splice(0).map((c) => c.stop().catch(() => undefined)));
});

type Harness = {
  client: TControlPlaneClient;
  logs: { event: string; fields?: Record<string, unknown> }[];
  applied: TSnapshot[];
  state: { current: { version: number; hash: string } | null };
};

function startClient(url: string, overrides: Partial<TControlPlaneClientOptions> = {}): Harness {
  const logs: Harness["logs"] = [];
  const applied: TSnapshot[] = [];
  const state: Harness["state"] = { current: null };
  const client = startControlPlaneClient({
    url,
    nodeId: "node-a",
    group: "canary",
    labels: { zone: "z1" },
    proxyVersion: "0.1.0-test",
    getApplied: () => state.current,
    apply: async (snapshot): Promise<TApplyResult> => {
      applied.push(snapshot);
      state.current = { version: snapshot.version, hash: snapshot.hash };
      return { ok: true };
    },
    log: (event, fields) => logs.push({ event, fields }),
    backoff: { baseMs: 20, capMs: 100 },
    ...overrides,
  });
  clients.push(client);
  return { client, logs, applied, state };
}

function snapshotOf(version: number, overrides: Parameters<typeof makeConfig>[0] = {}) {
  const config = makeConfig(overrides);
  return { type: "snapshot", version, hash: hashConfig(config), config };
}

describe("control-plane client", () => {
  it("sends hello first with node identity, labels, applied version and the bearer token", async () => {
    const fake = await startFakeConsole();
    const h = startClient(fake.url, { token: "s3cret", capabilities: { redis: true } });
    const hash = "a".repeat(64);
    h.state.current = { version: 7, hash };
    const hello = await waitFor(() => fake.frames[0], "hello");
    expect(hello).toEqual({
      type: "hello",
      nodeId: "node-a",
      group: "canary",
      labels: { zone: "z1" },
      appliedVersion: 7,
      appliedHash: hash,
      proxyVersion: "0.1.0-test",
      capabilities: { redis: true },
    });
    expect(fake.upgrades[0]?.headers.authorization).toBe("Bearer s3cret");
    expect(h.client.connected()).toBe(true);
  });

  it("sends no Authorization header without a token and null applied version before any apply", async () => {
    const fake = await startFakeConsole();
    startClient(fake.url);
    const hello = await waitFor(() => fake.frames[0], "hello");
    expect(hello).toMatchObject({ appliedVersion: null, appliedHash: null });
    expect(fake.upgrades[0]?.headers.authorization).toBeUndefined();
  });

  it("applies a snapshot and acks it", async () => {
    const fake = await startFakeConsole();
    const h = startClient(fake.url);
    await waitFor(() => fake.frames[0], "hello");
    const snap = snapshotOf(1);
    fake.send(snap);
    const ack = await waitFor(() => fake.frames.find((f) => f.type === "ack"), "ack");
    expect(ack).toEqual({ type: "ack", version: 1, hash: snap.hash });
    expect(h.applied).toEqual([{ version: 1, hash: snap.hash, config: snap.config }]);
  });

  it("nacks a refused snapshot with the error and the issues, and nacks when apply throws", async () => {
    const fake = await startFakeConsole();
    let call = 0;
    startClient(fake.url, {
      apply: async () => {
        call++;
        if (call === 1) {
          return { ok: false, error: "invalid config", issues: [{ path: "clusters[0].name", message: "must not be empty", line: 3 }] };
        }
        throw new Error("compiler exploded");
      },
    });
    await waitFor(() => fake.frames[0], "hello");
    const s1 = snapshotOf(1);
    fake.send(s1);
    const nack1 = await waitFor(() => fake.frames.find((f) => f.type === "nack"), "first nack");
    expect(nack1).toEqual({
      type: "nack",
      version: 1,
      hash: s1.hash,
      error: "invalid config",
      issues: [{ path: "clusters[0].name", message: "must not be empty" }],
    });
    const s2 = snapshotOf(2, { clusters: [{ name: "backend", endpoints: [{ address: "127.0.0.1", port: 9001 }] }] });
    fake.send(s2);
    const nack2 = await waitFor(() => fake.frames.filter((f) => f.type === "nack")[1], "second nack");
    expect(nack2).toMatchObject({ type: "nack", version: 2, hash: s2.hash, issues: [] });
    expect(String(nack2.error)).toContain("compiler exploded");
  });

  it("applies one snapshot at a time, in order, and skips a superseded one that was waiting", async () => {
    const fake = await startFakeConsole();
    let inFlight = 0;
    let maxInFlight = 0;
    let release: (() => void) | null = null;
    const order: number[] = [];
    const h = startClient(fake.url, {
      apply: async (s) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        order.push(s.version);
        if (s.version === 1) await new Promise<void>((r) => (release = r));
        else await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        return { ok: true };
      },
    });
    await waitFor(() => fake.frames[0], "hello");
    const s1 = snapshotOf(1);
    const s2 = snapshotOf(2, { listeners: [{ name: "public", address: "127.0.0.1", port: 8081, protocol: "http", routeConfig: "main" }] });
    const s3 = snapshotOf(3, { listeners: [{ name: "public", address: "127.0.0.1", port: 8082, protocol: "http", routeConfig: "main" }] });
    fake.send(s1);
    await waitFor(() => release, "first apply to start");
    fake.send(s2);
    fake.send(s3);
    await waitFor(() => h.logs.some((l) => l.event === "control_plane_snapshot_superseded"), "superseded log");
    release!();
    await waitFor(() => fake.frames.filter((f) => f.type === "ack").length === 2, "two acks");
    expect(order).toEqual([1, 3]);
    expect(maxInFlight).toBe(1);
    expect(fake.frames.filter((f) => f.type === "ack").map((f) => f.version)).toEqual([1, 3]);
  });

  it("re-acks a snapshot equal to the applied one without applying it again", async () => {
    const fake = await startFakeConsole();
    const h = startClient(fake.url);
    const snap = snapshotOf(4);
    h.state.current = { version: 4, hash: snap.hash };
    await waitFor(() => fake.frames[0], "hello");
    fake.send(snap);
    const ack = await waitFor(() => fake.frames.find((f) => f.type === "ack"), "ack");
    expect(ack).toEqual({ type: "ack", version: 4, hash: snap.hash });
    expect(h.applied).toEqual([]);
  });

  it("ignores bad frames (not JSON, wrong shape, unknown type, binary) and keeps working", async () => {
    const fake = await startFakeConsole();
    const h = startClient(fake.url);
    await waitFor(() => fake.frames[0], "hello");
    fake.send("this is not json");
    fake.send({ type: "snapshot", version: -1, hash: "nope" });
    fake.send({ type: "launch-missiles" });
    fake.latest().send(Buffer.from([1, 2, 3]), { binary: true });
    const snap = snapshotOf(1);
    fake.send(snap);
    await waitFor(() => fake.frames.find((f) => f.type === "ack"), "ack after bad frames");
    const bad = h.logs.filter((l) => l.event === "control_plane_bad_frame");
    expect(bad).toHaveLength(4);
    expect(String(bad[0]?.fields?.error)).toContain("not JSON");
    expect(String(bad[1]?.fields?.error)).toMatch(/version|hash/);
    expect(h.applied.map((s) => s.version)).toEqual([1]);
    expect(fake.sockets).toHaveLength(1);
  });

  it("logs error frames from the console", async () => {
    const fake = await startFakeConsole();
    const h = startClient(fake.url);
    await waitFor(() => fake.frames[0], "hello");
    fake.send({ type: "error", code: "unknown_node", message: "who are you" });
    const log = await waitFor(() => h.logs.find((l) => l.event === "control_plane_console_error"), "error log");
    expect(log.fields).toEqual({ code: "unknown_node", message: "who are you" });
  });

  it("reconnects after the console restarts and reports the version it serves", async () => {
    const fake = await startFakeConsole();
    const h = startClient(fake.url);
    await waitFor(() => fake.frames[0], "hello");
    const snap = snapshotOf(1);
    fake.send(snap);
    await waitFor(() => fake.frames.find((f) => f.type === "ack"), "ack");
    await fake.stop();
    await waitFor(() => !h.client.connected() && h.logs.some((l) => l.event === "control_plane_reconnect_scheduled"), "disconnect");
    await fake.restart();
    const hello2 = await waitFor(() => fake.frames.filter((f) => f.type === "hello")[1], "second hello");
    expect(hello2).toMatchObject({ nodeId: "node-a", appliedVersion: 1, appliedHash: snap.hash });
    expect(h.client.connected()).toBe(true);
  });

  it("keeps retrying while the console is down", async () => {
    const fake = await startFakeConsole();
    const port = fake.port;
    await fake.stop();
    const h = startClient(`ws://127.0.0.1:${port}/api/xds`);
    await waitFor(() => h.logs.filter((l) => l.event === "control_plane_connecting").length >= 3, "three attempts");
    expect(h.client.connected()).toBe(false);
    await fake.restart();
    await waitFor(() => h.client.connected(), "connected after console came up");
  });

  it("logs a refused token clearly and keeps retrying", async () => {
    const fake = await startFakeConsole({ refuseWith: 401 });
    const h = startClient(fake.url, { token: "wrong" });
    await waitFor(() => fake.upgrades.length >= 2, "a retry after 401");
    const log = h.logs.find((l) => l.event === "control_plane_unauthorized");
    expect(log?.fields).toMatchObject({ status: 401 });
    expect(String(log?.fields?.hint)).toContain("refused the node token");
    expect(h.client.connected()).toBe(false);
  });

  it("terminates a connection whose pings go unanswered, then reconnects", async () => {
    const fake = await startFakeConsole({ autoPong: false });
    const h = startClient(fake.url, { keepaliveIntervalMs: 40 });
    await waitFor(() => h.logs.some((l) => l.event === "control_plane_keepalive_timeout"), "keepalive timeout", 3000);
    await waitFor(() => fake.frames.filter((f) => f.type === "hello").length >= 2, "reconnect hello");
  });

  it("close() stops reconnecting", async () => {
    const fake = await startFakeConsole();
    const h = startClient(fake.url);
    await waitFor(() => h.client.connected(), "connected");
    await h.client.close();
    expect(h.client.connected()).toBe(false);
    const upgrades = fake.upgrades.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.upgrades.length).toBe(upgrades);
    expect(h.logs.some((l) => l.event === "control_plane_reconnect_scheduled")).toBe(false);
  });

  it("never throws on a malformed URL; it logs and keeps trying", async () => {
    const h = startClient("not a url");
    await waitFor(() => h.logs.filter((l) => l.event === "control_plane_connect_failed").length >= 2, "two failed attempts");
    expect(h.client.connected()).toBe(false);
  });
});
