/**
 * Issue #20 item 4: outbound calls an editor controls. Before: a consul cluster's
 * `address` could point anywhere, and the proxy sent its Consul ACL token there and put
 * the first 200 bytes of the answer into the cluster's status, which the console shows to
 * viewers. Now: the token goes only to the operator's --consul endpoint, errors carry the
 * status alone, and `--outbound-allow` (applied by the proxy) refuses configs that name
 * other destinations and drops discovered endpoints outside it.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeConsul, type TFakeConsul } from "../../apps/proxy/test/helpers/fake-consul.ts";
import { freePort } from "../../apps/proxy/test/helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../../apps/proxy/test/helpers/start-proxy.ts";

const TOKEN = "consul-acl-secret-token";
const INTERNAL_PAGE = "INTERNAL-ADMIN-PAGE: db password hunter2";

type TClusterView = { name: string; discoveryLastError: string | null; endpoints: { address: string; port: number }[] };

let consul: TFakeConsul;
let internal: Server;
let internalUrl: string;
const internalSeen: IncomingHttpHeaders[] = [];
const proxies: TProxyProcess[] = [];

beforeAll(async () => {
  consul = await startFakeConsul();
  consul.setService("users", [{ id: "u1", address: "127.0.0.1", port: 9 }, { id: "u2", address: "10.20.30.40", port: 9 }]);
  // What the editor points the cluster at: an internal service answering with something secret.
  internal = createServer((req, res) => {
    internalSeen.push(req.headers);
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(INTERNAL_PAGE);
  });
  await new Promise<void>((r) => internal.listen(0, "127.0.0.1", () => r()));
  internalUrl = `http://127.0.0.1:${(internal.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const p of proxies) await p.stop();
  await consul?.close();
  await new Promise<void>((r) => internal?.close(() => r()));
});

async function proxyWith(clusters: unknown[], args: string[] = []): Promise<TProxyProcess> {
  const port = await freePort();
  const p = await startProxy({
    config: {
      listeners: [{ name: "edge", address: "127.0.0.1", port, routeConfig: "main" }],
      routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "r", match: { prefix: "/" }, directResponse: { status: 200 } }] }] }],
      clusters,
      secrets: [],
      rateLimitPolicies: [],
    },
    args: ["--consul", consul.url, "--consul-token", TOKEN, ...args],
  });
  proxies.push(p);
  return p;
}

async function clusterView(p: TProxyProcess, name: string): Promise<TClusterView> {
  const body = (await (await p.admin("/clusters")).json()) as { clusters: TClusterView[] };
  return body.clusters.find((c) => c.name === name)!;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("Consul credentials and answers", () => {
  it("a cluster pointed at another address gets no ACL token, and that address's answer never shows up in its status", async () => {
    const p = await proxyWith([{ name: "users", discovery: "consul", consul: { service: "users", address: internalUrl } }]);
    const failed = await until("a discovery failure", async () => (await clusterView(p, "users")).discoveryLastError);
    expect(internalSeen.length).toBeGreaterThan(0);
    expect(internalSeen.every((h) => h["x-consul-token"] === undefined)).toBe(true);
    expect(failed).toContain("HTTP 500");
    expect(failed).not.toContain("INTERNAL");
    expect(p.stderr()).not.toContain("hunter2");
  });

  it("clusters on the operator's own Consul (--consul) still discover", async () => {
    const before = consul.queries.length;
    const p = await proxyWith([{ name: "users", discovery: "consul", consul: { service: "users" } }]);
    await until("endpoints", async () => (await clusterView(p, "users")).endpoints.length > 0);
    expect(consul.queries.length).toBeGreaterThan(before);
  });
});

describe("--outbound-allow", () => {
  it("refuses configs naming destinations outside it and drops discovered endpoints outside it", async () => {
    const p = await proxyWith([{ name: "users", discovery: "consul", consul: { service: "users" } }], ["--outbound-allow", "127.0.0.1/32"]);
    // Consul answers 127.0.0.1 and 10.20.30.40: only the first is kept.
    const view = await until("endpoints", async () => {
      const c = await clusterView(p, "users");
      return c.endpoints.length ? c : null;
    });
    expect(view.endpoints.map((e) => e.address)).toEqual(["127.0.0.1"]);

    const port = await freePort();
    await p.writeConfig({
      listeners: [
        {
          name: "edge",
          address: "127.0.0.1",
          port,
          routeConfig: "main",
          httpFilters: [{ type: "jwtAuthn", issuer: "i", jwks: { remote: { url: "http://169.254.169.254/latest/meta-data/" } } }],
        },
      ],
      routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "r", match: { prefix: "/" }, route: { cluster: "meta" } }] }] }],
      clusters: [
        { name: "meta", endpoints: [{ address: "169.254.169.254", port: 80 }] },
        { name: "other", discovery: "consul", consul: { service: "users", address: "http://10.0.0.1:8500" } },
      ],
      secrets: [],
      rateLimitPolicies: [],
    });
    const rejected = await p.waitForEvent((e) => e.event === "config_rejected");
    const paths = (rejected.issues as { path: string }[]).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["clusters[0].endpoints[0].address", "clusters[1].consul.address", "listeners[0].httpFilters[0].jwks.remote.url"]));
    // The running config keeps serving.
    expect((await clusterView(p, "users")).endpoints.map((e) => e.address)).toEqual(["127.0.0.1"]);
  });
});
