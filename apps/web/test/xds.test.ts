import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { hashConfig } from "@switchyard/config-model";
import { makeCluster, makeConfig } from "@switchyard/config-model/testing";
import { getNode, listNodes } from "@switchyard/db";
import { startCpServer, waitFor, type TCpServer, type TJsonBody } from "./helpers/cp-server.ts";

/** A fake proxy node: a plain ws client that records every frame and close. */
type FakeNode = {
  ws: WebSocket;
  frames: Record<string, TJsonBody>[];
  closed: { code: number; reason: string } | null;
  send(msg: unknown): void;
  snapshots(): Record<string, TJsonBody>[];
};

const sockets: WebSocket[] = [];

function connectNode(url: string, headers: Record<string, string> = {}): Promise<FakeNode> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    sockets.push(ws);
    const node: FakeNode = {
      ws,
      frames: [],
      closed: null,
      send: (msg) => ws.send(typeof msg === "string" ? msg : JSON.stringify(msg)),
      snapshots: () => node.frames.filter((f) => f.type === "snapshot"),
    };
    ws.on("message", (data) => node.frames.push(JSON.parse(String(data)) as Record<string, TJsonBody>));
    ws.on("close", (code, reason) => (node.closed = { code, reason: reason.toString() }));
    ws.once("open", () => resolve(node));
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res: IncomingMessage) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function hello(nodeId: string, extra: Record<string, unknown> = {}) {
  return { type: "hello", nodeId, group: "default", labels: { zone: "a" }, proxyVersion: "test", ...extra };
}

async function publish(cp: TCpServer, port: number, message: string): Promise<{ version: number; hash: string }> {
  const config = makeConfig({ clusters: [makeCluster({ endpoints: [{ address: "127.0.0.1", port }] })] });
  const put = await cp.api("/config", { method: "PUT", json: config });
  expect(put.status).toBe(200);
  const res = await cp.api("/versions", { method: "POST", json: { message } });
  expect(res.status).toBe(201);
  return res.body;
}

let cp: TCpServer;
let v1: { version: number; hash: string };

beforeAll(async () => {
  cp = await startCpServer({ nodeToken: "node-secret", helloTimeoutMs: 300 });
  v1 = await publish(cp, 9001, "v1");
}, 120_000);

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await waitFor(() => cp.xds.connectedNodeIds().length === 0, "nodes to disconnect");
});

afterAll(async () => {
  await cp?.close();
});

const auth = { authorization: "Bearer node-secret" };

describe("xds hub", () => {
  it("refuses a missing or wrong node token with 401 and logs it", async () => {
    await expect(connectNode(cp.wsUrl)).rejects.toThrow("HTTP 401");
    await expect(connectNode(cp.wsUrl, { authorization: "Bearer nope" })).rejects.toThrow("HTTP 401");
    const refused = cp.logs.filter((l) => l.event === "xds_unauthorized");
    expect(refused.map((l) => l.fields?.reason)).toEqual(["missing Authorization: Bearer <node token>", "unknown or revoked node token"]);
  });

  it("sends the latest snapshot after hello and records the node", async () => {
    const node = await connectNode(cp.wsUrl, auth);
    node.send(hello("node-1"));
    const snap = await waitFor(() => node.snapshots()[0], "snapshot");
    expect(snap.version).toBe(v1.version);
    expect(snap.hash).toBe(v1.hash);
    expect(hashConfig(snap.config)).toBe(v1.hash);
    const row = await waitFor(async () => (await getNode(cp.db, "node-1")) ?? undefined, "registry row");
    expect(row).toMatchObject({ id: "node-1", group: "default", labels: { zone: "a" }, connected: true, proxyVersion: "test" });
    expect(cp.xds.connectedNodeIds()).toEqual(["node-1"]);
  });

  it("does not resend the version a node already serves", async () => {
    const node = await connectNode(cp.wsUrl, auth);
    node.send(hello("node-2", { appliedVersion: v1.version, appliedHash: v1.hash }));
    await waitFor(async () => (await getNode(cp.db, "node-2"))?.connected, "registered");
    await new Promise((r) => setTimeout(r, 200));
    expect(node.snapshots()).toEqual([]);
    expect((await getNode(cp.db, "node-2"))?.appliedVersion).toBe(v1.version);
  });

  it("pushes a version published through REST within 1 s, and records ack and nack", async () => {
    const a = await connectNode(cp.wsUrl, auth);
    const b = await connectNode(cp.wsUrl, auth);
    a.send(hello("node-a"));
    b.send(hello("node-b"));
    await waitFor(() => a.snapshots().length === 1 && b.snapshots().length === 1, "initial snapshots");
    a.send({ type: "ack", version: v1.version, hash: v1.hash });

    const started = Date.now();
    const v2 = await publish(cp, 9002, "v2");
    await waitFor(() => a.snapshots()[1] && b.snapshots()[1], "pushed snapshots", 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(a.snapshots()[1]).toMatchObject({ type: "snapshot", version: v2.version, hash: v2.hash });

    a.send({ type: "ack", version: v2.version, hash: v2.hash });
    b.send({ type: "nack", version: v2.version, hash: v2.hash, error: "listener port in use", issues: [{ path: "listeners[0].port", message: "EADDRINUSE" }] });
    const nodes = await waitFor(async () => {
      const all = await listNodes(cp.db);
      const na = all.find((n) => n.id === "node-a");
      const nb = all.find((n) => n.id === "node-b");
      return na?.appliedVersion === v2.version && nb?.lastError ? { na, nb } : undefined;
    }, "ack and nack recorded");
    expect(nodes.na).toMatchObject({ connected: true, appliedVersion: v2.version, appliedHash: v2.hash, lastError: null });
    expect(nodes.nb.appliedVersion).toBeNull();
    expect(nodes.nb.lastError).toBe("listener port in use\nlisteners[0].port: EADDRINUSE");
    expect(nodes.nb.nackedVersion).toBe(v2.version);

    // The REST view shows the same registry.
    const rest = await cp.api("/nodes");
    expect(rest.body.find((n: { id: string }) => n.id === "node-a")).toMatchObject({
      id: "node-a",
      group: "default",
      connected: true,
      appliedVersion: v2.version,
      appliedHash: v2.hash,
      lastError: null,
      lastSeen: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(rest.body.find((n: { id: string }) => n.id === "node-b")).toMatchObject({ nackedVersion: v2.version, lastError: expect.stringContaining("port in use") });
    v1 = v2;
  });

  it("ignores invalid frames, answering an error frame, and keeps the connection", async () => {
    const node = await connectNode(cp.wsUrl, auth);
    node.send({ type: "ack", version: 1, hash: "a".repeat(64) }); // before hello
    node.send("{not json");
    node.ws.send(Buffer.from([0, 1, 2]), { binary: true });
    node.send(hello("node-bad"));
    await waitFor(() => node.snapshots()[0], "snapshot after hello");
    node.send({ type: "ack", version: "one" });
    node.send({ type: "teleport" });
    node.send(hello("node-bad"));
    await waitFor(() => node.frames.filter((f) => f.type === "error").length === 6, "six error frames");
    expect(node.frames.filter((f) => f.type === "error").every((f) => f.code === "bad_frame")).toBe(true);
    expect(cp.logs.filter((l) => l.event === "xds_bad_frame" && (l.fields?.nodeId === "node-bad" || l.fields?.nodeId === null)).length).toBeGreaterThanOrEqual(6);
    expect(node.closed).toBeNull();
    node.send({ type: "ack", version: v1.version, hash: v1.hash });
    await waitFor(async () => (await getNode(cp.db, "node-bad"))?.appliedVersion === v1.version, "ack after bad frames");
  });

  it("closes a connection that sends no hello in time", async () => {
    const node = await connectNode(cp.wsUrl, auth);
    await waitFor(() => node.closed, "close", 2000);
    expect(node.closed?.code).toBe(4001);
    expect(node.frames).toEqual([{ type: "error", code: "hello_timeout", message: "the first frame must be hello" }]);
  });

  it("a node id connecting twice: the newer connection wins, the old one is closed with a reason", async () => {
    const old = await connectNode(cp.wsUrl, auth);
    old.send(hello("node-dup"));
    await waitFor(() => old.snapshots()[0], "old snapshot");
    const fresh = await connectNode(cp.wsUrl, auth);
    fresh.send(hello("node-dup"));
    await waitFor(() => old.closed, "old closed");
    expect(old.closed).toEqual({ code: 4000, reason: "replaced by a newer connection with the same node id" });
    await waitFor(() => fresh.snapshots()[0], "fresh snapshot");
    expect(cp.xds.connectedNodeIds().filter((id) => id === "node-dup")).toHaveLength(1);
    // The old connection's close must not mark the node disconnected.
    await new Promise((r) => setTimeout(r, 150));
    expect((await getNode(cp.db, "node-dup"))?.connected).toBe(true);
  });

  it("marks a node disconnected when its socket closes", async () => {
    const node = await connectNode(cp.wsUrl, auth);
    node.send(hello("node-gone"));
    await waitFor(async () => (await getNode(cp.db, "node-gone"))?.connected, "connected");
    node.ws.close();
    await waitFor(async () => (await getNode(cp.db, "node-gone"))?.connected === false, "disconnected");
    expect(cp.xds.connectedNodeIds()).not.toContain("node-gone");
  });

  it("accepts and counts stats, health and spans frames", async () => {
    const node = await connectNode(cp.wsUrl, auth);
    node.send(hello("node-stats"));
    await waitFor(() => node.snapshots()[0], "snapshot");
    const before = cp.xds.telemetryCounts();
    // Times about now: the hub refuses telemetry far from its clock (issue #20).
    const now = Date.now();
    node.send({ type: "stats", windowStart: now - 5_000, windowEnd: now, entries: [] });
    node.send({ type: "health", events: [{ cluster: "backend", endpoint: "127.0.0.1:9001", healthy: false, reason: "timeout", at: now }] });
    node.send({ type: "spans", spans: [] });
    node.send({ type: "stats", windowStart: "x" }); // invalid: not counted
    await waitFor(() => cp.xds.telemetryCounts().spans === before.spans + 1, "counted");
    const after = cp.xds.telemetryCounts();
    expect(after).toEqual({ stats: before.stats + 1, health: before.health + 1, spans: before.spans + 1, limited: before.limited });
  });

  it("leaves upgrades on other paths to their own listeners", async () => {
    const other = new WebSocketServer({ noServer: true });
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (req.url === "/_next/webpack-hmr") other.handleUpgrade(req, socket, head, (ws) => ws.send("hmr"));
    };
    cp.server.on("upgrade", onUpgrade);
    try {
      const ws = new WebSocket(`${cp.url.replace("http", "ws")}/_next/webpack-hmr`);
      sockets.push(ws);
      const first = await new Promise<string>((resolve, reject) => {
        ws.once("message", (d) => resolve(String(d)));
        ws.once("error", reject);
      });
      expect(first).toBe("hmr");
    } finally {
      cp.server.off("upgrade", onUpgrade);
      other.close();
    }
  });
});

describe("xds hub without a node token", () => {
  it("accepts nodes without Authorization and sends the latest version", async () => {
    const open = await startCpServer({ database: cp.database });
    try {
      const node = await connectNode(open.wsUrl);
      sockets.push(node.ws);
      node.send(hello("node-open"));
      const snap = await waitFor(() => node.snapshots()[0], "snapshot");
      expect(snap.version).toBe(v1.version);
      node.ws.terminate();
    } finally {
      await open.close();
    }
  });
});

describe("xds hub heartbeats", () => {
  it("terminates a node that stops answering pings", async () => {
    const hb = await startCpServer({ database: cp.database, heartbeatIntervalMs: 50 });
    try {
      const node = await new Promise<FakeNode>((resolve, reject) => {
        // autoPong off: this node is alive at the TCP level but never answers a ping.
        const ws = new WebSocket(hb.wsUrl, { autoPong: false });
        sockets.push(ws);
        const n: FakeNode = { ws, frames: [], closed: null, send: (m) => ws.send(JSON.stringify(m)), snapshots: () => [] };
        ws.on("close", (code, reason) => (n.closed = { code, reason: reason.toString() }));
        ws.once("open", () => resolve(n));
        ws.once("error", reject);
      });
      node.send(hello("node-silent"));
      await waitFor(() => node.closed, "terminated", 2000);
      expect(hb.logs.some((l) => l.event === "xds_heartbeat_timeout" && l.fields?.nodeId === "node-silent")).toBe(true);
      await waitFor(async () => (await getNode(hb.db, "node-silent"))?.connected === false, "disconnected");
    } finally {
      await hb.close();
    }
  });
});

describe("xds hub across console replicas", () => {
  it("a publish on one replica reaches nodes connected to another (LISTEN/NOTIFY)", async () => {
    const replica = await startCpServer({ database: cp.database });
    try {
      const node = await connectNode(replica.wsUrl);
      node.send(hello("node-on-replica"));
      await waitFor(() => node.snapshots()[0], "initial snapshot from the replica");
      const v = await publish(cp, 9555, "published on the first replica");
      const pushed = await waitFor(() => node.snapshots()[1], "push via the other replica", 1000);
      expect(pushed).toMatchObject({ version: v.version, hash: v.hash });
      expect(replica.xds.connectedNodeIds()).toEqual(["node-on-replica"]);
      expect(cp.xds.connectedNodeIds()).toEqual([]);
      // Another replica starting does not mark the nodes of this one disconnected.
      const third = await startCpServer({ database: cp.database });
      await third.close();
      expect((await getNode(cp.db, "node-on-replica"))?.connected).toBe(true);
      node.ws.terminate();
      await waitFor(() => replica.xds.connectedNodeIds().length === 0, "replica node gone");
    } finally {
      await replica.close();
    }
  });
});
