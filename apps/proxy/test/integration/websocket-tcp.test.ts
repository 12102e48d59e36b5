import { connect, createServer, type Server, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { freePort } from "../helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";

/** WebSocket upgrades (ws client and server) and the TCP proxy (net echo servers) through a real proxy. */
let wss: WebSocketServer;
let echoA: Server;
let echoB: Server;
let proxy: TProxyProcess;
let httpPort: number;
let tcpPort: number;
const seenBy: string[] = [];

function echoServer(name: string): Promise<Server> {
  const s = createServer((sock) => {
    seenBy.push(name);
    sock.pipe(sock);
  });
  return new Promise((r) => s.listen(0, "127.0.0.1", () => r(s)));
}

beforeAll(async () => {
  wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  wss.on("connection", (ws, req) => {
    ws.send(`hello ${req.url} ${req.headers["x-forwarded-proto"]}`);
    ws.on("message", (m) => ws.send(`echo:${String(m)}`));
  });
  await new Promise<void>((r) => wss.once("listening", r));
  [echoA, echoB] = await Promise.all([echoServer("a"), echoServer("b")]);
  httpPort = await freePort();
  tcpPort = await freePort();
  proxy = await startProxy({
    config: {
      listeners: [
        { name: "web", address: "127.0.0.1", port: httpPort, routeConfig: "main" },
        { name: "tcp", address: "127.0.0.1", port: tcpPort, protocol: "tcp", tcp: { cluster: "echo", idleTimeoutMs: 600 } },
      ],
      routeConfigs: [
        {
          name: "main",
          virtualHosts: [
            {
              name: "all",
              domains: ["*"],
              routes: [
                { name: "ws", match: { prefix: "/ws" }, route: { cluster: "ws", allowUpgrade: true, upgradeIdleTimeoutMs: 700 } },
                { name: "no-ws", match: { prefix: "/" }, route: { cluster: "ws" } },
              ],
            },
          ],
        },
      ],
      clusters: [
        { name: "ws", endpoints: [{ address: "127.0.0.1", port: (wss.address() as AddressInfo).port }] },
        { name: "echo", endpoints: [{ address: "127.0.0.1", port: (echoA.address() as AddressInfo).port }, { address: "127.0.0.1", port: (echoB.address() as AddressInfo).port }] },
      ],
    },
  });
});

afterAll(async () => {
  await proxy?.stop();
  wss?.close();
  echoA?.close();
  echoB?.close();
});

function messages(ws: WebSocket): () => Promise<string> {
  const queue: string[] = [];
  const waiters: ((m: string) => void)[] = [];
  ws.on("message", (m) => {
    const w = waiters.shift();
    if (w) w(String(m));
    else queue.push(String(m));
  });
  return () => (queue.length ? Promise.resolve(queue.shift() as string) : new Promise((r) => waiters.push(r)));
}

describe("WebSocket", () => {
  it("proxies an upgrade both ways, including a 1 MiB message (back pressure through pipe)", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ws/chat`);
    const next = messages(ws);
    await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
    expect(await next()).toBe("hello /ws/chat http");
    ws.send("ping");
    expect(await next()).toBe("echo:ping");
    const big = "x".repeat(1 << 20);
    ws.send(big);
    expect((await next()).length).toBe(5 + (1 << 20));
    ws.close();
    await new Promise((r) => ws.once("close", r));
  });

  it("a route without allowUpgrade refuses the upgrade with 403", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/other`);
    const err = await new Promise<Error>((r) => ws.once("error", r));
    expect(err.message).toContain("403");
  });

  it("closes an idle tunnel after upgradeIdleTimeoutMs and counts it", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ws/idle`);
    const started = Date.now();
    await new Promise((r) => ws.once("open", r));
    await new Promise((r) => ws.once("close", r));
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    const prom = await (await proxy.admin("/stats/prometheus")).text();
    expect(prom).toMatch(/switchyard_upgrades_total\{listener="web",route="ws",cluster="ws",result="upgraded"\} [2-9]/);
    expect(prom).toMatch(/switchyard_upgrades_total\{listener="web",route="no-ws",cluster="ws",result="refused"\} 1/);
  });
});

describe("TCP proxy", () => {
  async function roundTrip(payload: Buffer): Promise<Buffer> {
    const sock = connect(tcpPort, "127.0.0.1");
    const chunks: Buffer[] = [];
    let got = 0;
    return new Promise((resolve, reject) => {
      sock.on("data", (c: Buffer) => {
        chunks.push(c);
        got += c.length;
        if (got >= payload.length) {
          sock.end();
          resolve(Buffer.concat(chunks));
        }
      });
      sock.on("error", reject);
      sock.write(payload);
    });
  }

  it("forwards bytes both ways, balancing connections round robin, and counts bytes", async () => {
    seenBy.length = 0;
    const payload = Buffer.alloc(256 * 1024, 7);
    for (let i = 0; i < 4; i++) expect((await roundTrip(payload)).equals(payload)).toBe(true);
    expect(seenBy.sort()).toEqual(["a", "a", "b", "b"]);
    await new Promise((r) => setTimeout(r, 100));
    const prom = await (await proxy.admin("/stats/prometheus")).text();
    const rx = /switchyard_tcp_bytes_total\{listener="tcp",cluster="echo",direction="rx"\} (\d+)/.exec(prom);
    expect(Number(rx?.[1])).toBeGreaterThanOrEqual(4 * 256 * 1024);
  });

  it("closes a connection idle for tcp.idleTimeoutMs", async () => {
    const sock = connect(tcpPort, "127.0.0.1");
    const started = Date.now();
    await new Promise((r) => sock.once("close", r));
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });
});
