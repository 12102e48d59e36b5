/**
 * Whole system, as real processes: the console (its own child process, on a fresh
 * database), one proxy node started with the real CLI in managed mode, and a real
 * upstream on 127.0.0.1. Publish through the REST API -> the proxy serves the new route
 * -> /api/v1/nodes shows the node on that version -> rollback -> the route is gone.
 * The control plane runs as it should in production (issue #15): the console on HTTPS/WSS
 * with a certificate from a private CA, asking nodes for client certificates; the proxy on
 * wss:// verifying the console against that CA (--control-plane-ca) and presenting its own.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rootCertificates } from "node:tls";
import { Agent, setGlobalDispatcher } from "undici";
import WebSocket from "ws";
import { createPki, type TLeaf, type TPki } from "../../apps/proxy/test/helpers/certs.ts";
import { createServer, type Server } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConsole } from "../../apps/web/test/helpers/start-console.ts";
import { freePort } from "./free-port.ts";

const root = resolve(import.meta.dirname, "../..");

type ConsoleHandle = Awaited<ReturnType<typeof startConsole>>;

let consoleApp: ConsoleHandle;
let pki: TPki;
let nodeCert: TLeaf;
let consoleStopped = false;
let proxy: ChildProcess;
let upstream: Server;
let upstreamPort: number;
let listenerPort: number;
let adminPort: number;
const proxyLog: string[] = [];

async function api(path: string, init: RequestInit & { json?: unknown } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${consoleApp.apiToken}` };
  if (init.json !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${consoleApp.url}/api/v1${path}`, {
    ...init,
    headers: { ...headers, ...(init.headers as Record<string, string> | undefined) },
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}\nproxy log:\n${proxyLog.slice(-20).join("\n")}`);
}

function configWithRoutes(routes: unknown[]) {
  return {
    listeners: [{ name: "public", address: "127.0.0.1", port: listenerPort, routeConfig: "main" }],
    routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes }] }],
    clusters: [{ name: "backend", endpoints: [{ address: "127.0.0.1", port: upstreamPort }] }],
  };
}

const ping = { name: "ping", match: { path: "/ping" }, directResponse: { status: 200, body: "pong" } };
const hello = { name: "hello", match: { prefix: "/hello" }, route: { cluster: "backend", prefixRewrite: "/greet" } };

beforeAll(async () => {
  upstream = createServer((req, res) => res.end(JSON.stringify({ upstream: true, path: req.url })));
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  upstreamPort = (upstream.address() as { port: number }).port;
  [listenerPort, adminPort] = [await freePort(), await freePort()];

  pki = await createPki("Switchyard Platform Test CA");
  const consoleCert = await pki.issue("console", ["DNS:localhost", "IP:127.0.0.1"]);
  nodeCert = await pki.issue("system-test-1", ["URI:spiffe://switchyard/node/system-test-1"], { client: true });
  // This process (REST calls, the readiness probe) trusts the private CA too.
  setGlobalDispatcher(new Agent({ connect: { ca: [...rootCertificates, pki.ca.cert] } }));
  consoleApp = await startConsole({ tls: { certFile: consoleCert.certFile, keyFile: consoleCert.keyFile, clientCaFile: pki.ca.certFile } });
  expect(consoleApp.url).toMatch(/^https:\/\//);

  // v1: only the direct response.
  expect((await api("/config", { method: "PUT", json: configWithRoutes([ping]) })).status).toBe(200);
  expect((await api("/versions", { method: "POST", json: { message: "v1: ping" } })).status).toBe(201);

  proxy = spawn(
    process.execPath,
    [
      join(root, "apps/proxy/bin/switchyard-proxy.js"),
      "--control-plane", `${consoleApp.url.replace(/^https/, "wss")}/api/xds`,
      "--control-plane-ca", pki.ca.certFile,
      "--control-plane-cert", nodeCert.certFile,
      "--control-plane-key", nodeCert.keyFile,
      "--node-id", "system-test-1",
      "--workers", "1",
      "--admin", `127.0.0.1:${adminPort}`,
      "--cache-dir", mkdtempSync(join(tmpdir(), "swy-system-cache-")),
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  for (const s of [proxy.stdout!, proxy.stderr!]) s.on("data", (d: Buffer) => proxyLog.push(...d.toString().split("\n").filter(Boolean)));
  await eventually("the proxy to be ready", async () => ((await fetch(`http://127.0.0.1:${adminPort}/ready`)).ok ? true : undefined), 30_000);
}, 300_000);

afterAll(async () => {
  if (proxy && proxy.exitCode === null) {
    proxy.kill("SIGTERM");
    await new Promise((r) => proxy.once("exit", r));
  }
  if (!consoleStopped) await consoleApp?.stop();
  await new Promise((r) => upstream?.close(r));
  await pki?.cleanup();
});

describe("the control plane over TLS", () => {
  const wssUrl = () => `${consoleApp.url.replace(/^https/, "wss")}/api/xds`;
  /** The upgrade's answer: the HTTP status of a refusal, "open" when the socket opened, or the TLS error. */
  const attempt = (opts: WebSocket.ClientOptions) =>
    new Promise<number | string>((resolve) => {
      const ws = new WebSocket(wssUrl(), opts);
      ws.on("unexpected-response", (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on("open", () => {
        resolve("open");
        ws.terminate();
      });
      ws.on("error", (err) => resolve((err as NodeJS.ErrnoException).code ?? err.message));
    });

  it("serves the node over wss:// (the node verified the console against --control-plane-ca and showed its client certificate)", async () => {
    const nodes = await api("/nodes");
    expect(nodes.body).toEqual(expect.arrayContaining([expect.objectContaining({ id: "system-test-1", connected: true })]));
    expect(proxyLog.join("\n")).toContain('"url":"wss://127.0.0.1:');
  });

  it("refuses a node without a client certificate (401), and a client that does not trust the console's CA never sends a byte of it", async () => {
    expect(await attempt({ ca: pki.ca.cert })).toBe(401);
    expect(await attempt({ ca: pki.ca.cert, cert: nodeCert.cert, key: nodeCert.key })).toBe("open");
    expect(await attempt({})).toMatch(/^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/);
  });
});

describe("console -> PostgreSQL -> WebSocket -> proxy -> upstream", () => {
  it("serves v1 pushed by the console", async () => {
    const res = await fetch(`http://127.0.0.1:${listenerPort}/ping`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("pong");
    const nodes = await api("/nodes");
    expect(nodes.body).toBeDefined();
  });

  it("refuses a route to an unknown cluster with 422 and the JSON path, storing nothing", async () => {
    const before = await api("/config");
    const bad = configWithRoutes([ping, { name: "bad", match: { prefix: "/" }, route: { cluster: "userz" } }]);
    const res = await api("/config", { method: "PUT", json: bad });
    expect(res.status).toBe(422);
    expect(res.body.issues).toContainEqual({ path: "routeConfigs[0].virtualHosts[0].routes[1].route.cluster", message: 'unknown cluster "userz"' });
    const after = await api("/config");
    expect(after.body).toEqual(before.body);
  });

  it("applies a published route within 2 s, shows the node on it, and rolls back", async () => {
    expect((await api("/config", { method: "PUT", json: configWithRoutes([ping, hello]) })).status).toBe(200);
    const published = await api("/versions", { method: "POST", json: { message: "v2: hello route" } });
    expect(published.status).toBe(201);
    const v2 = published.body.version as number;
    const publishedAt = Date.now();

    const served = await eventually("the new route to be served", async () => {
      const res = await fetch(`http://127.0.0.1:${listenerPort}/hello/world`);
      const body = await res.text();
      return res.status === 200 ? body : undefined;
    }, 5_000);
    expect(Date.now() - publishedAt).toBeLessThan(2_000);
    expect(JSON.parse(served)).toEqual({ upstream: true, path: "/greet/world" });

    await eventually("the node to report v2", async () => {
      const nodes = (await api("/nodes")).body as unknown as { id: string; appliedVersion: number; connected: boolean }[];
      const node = nodes.find((n) => n.id === "system-test-1");
      return node && node.appliedVersion === v2 && node.connected ? node : undefined;
    });

    const rollback = await api("/versions/1/rollback", { method: "POST" });
    expect(rollback.status).toBe(201);
    const v3 = rollback.body.version as number;
    expect(v3).toBe(v2 + 1);
    await eventually("the route to be gone", async () => ((await fetch(`http://127.0.0.1:${listenerPort}/hello/world`)).status === 404 ? true : undefined), 5_000);
    const noRoute = await fetch(`http://127.0.0.1:${listenerPort}/hello/world`);
    expect(noRoute.headers.get("x-switchyard-response-flags")).toBe("NR");
    await eventually("the node to report the rollback version", async () => {
      const nodes = (await api("/nodes")).body as unknown as { id: string; appliedVersion: number }[];
      return nodes.find((n) => n.id === "system-test-1" && n.appliedVersion === v3);
    });
    const dump = (await (await fetch(`http://127.0.0.1:${adminPort}/config_dump`)).json()) as { version: number };
    expect(dump.version).toBe(v3);
  });

  it("a proxy node keeps serving its last good config when the console goes away", async () => {
    await consoleApp.stop();
    consoleStopped = true;
    const res = await fetch(`http://127.0.0.1:${listenerPort}/ping`);
    expect(await res.text()).toBe("pong");
  });
});
