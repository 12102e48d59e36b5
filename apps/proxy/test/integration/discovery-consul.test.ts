import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeConsul, type TFakeConsul } from "../helpers/fake-consul.ts";
import { freePort } from "../helpers/free-port.ts";
import { startLoad, startNamedServer, waitFor, type TNamedServer } from "../helpers/load.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";

/**
 * discovery: consul through the real proxy CLI. Consul itself cannot run here, so the
 * registry is a FAKE Consul agent speaking the real blocking-query HTTP protocol
 * (helpers/fake-consul.ts); the upstreams and the traffic are real.
 */
type TClusterView = { name: string; source: string; discoveryFailures: number; discoveryLastError: string | null; endpoints: { address: string; port: number; weight: number }[] };

describe("Consul discovery", () => {
  let consul: TFakeConsul;
  let ups: TNamedServer[];
  let proxy: TProxyProcess;
  let base: string;

  beforeAll(async () => {
    consul = await startFakeConsul();
    ups = await Promise.all(["a", "b", "c", "d"].map((n) => startNamedServer(n)));
    const [a, b, c] = ups as [TNamedServer, TNamedServer, TNamedServer];
    consul.setService("users", [
      { id: "a", address: "127.0.0.1", port: a.port, tags: ["v1"] },
      { id: "b", address: "127.0.0.1", port: b.port, tags: ["v2"] }, // other tag
      { id: "c", address: "127.0.0.1", port: c.port, tags: ["v1"], dc: "dc2" }, // other datacenter
    ]);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    proxy = await startProxy({
      args: ["--consul", consul.url],
      config: {
        listeners: [{ name: "l", address: "127.0.0.1", port, routeConfig: "main" }],
        routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "users", match: { prefix: "/" }, route: { cluster: "users" } }] }] }],
        clusters: [{ name: "users", discovery: "consul", consul: { service: "users", tag: "v1", datacenter: "dc1" } }],
      },
    });
  }, 30_000);

  afterAll(async () => {
    await proxy?.stop();
    await consul?.close();
    await Promise.all((ups ?? []).map((s) => s.close()));
  });

  const cluster = async (): Promise<TClusterView> => {
    const body = (await (await proxy.admin("/clusters")).json()) as { clusters: TClusterView[] };
    return body.clusters.find((x) => x.name === "users") as TClusterView;
  };
  const ports = async () => (await cluster()).endpoints.map((e) => e.port).sort((x, y) => x - y);

  it("follows passing instances with the tag and datacenter filters, under load, with zero failed requests", async () => {
    const [a, , , d] = ups as [TNamedServer, TNamedServer, TNamedServer, TNamedServer];
    expect(await ports()).toEqual([a.port]);
    expect((await cluster()).source).toBe(`consul users tag v1 dc dc1 (${consul.url})`);
    const load = startLoad(base, 6);
    try {
      await waitFor("traffic on a", () => (load.byUpstream.get("a") ?? 0) > 20);
      // d registers (v1, dc1, weight 3): a blocking query returns at once, no polling interval.
      const t0 = Date.now();
      consul.setService("users", [
        { id: "a", address: "127.0.0.1", port: a.port, tags: ["v1"] },
        { id: "d", address: "127.0.0.1", port: d.port, tags: ["v1", "canary"], weight: 3 },
      ]);
      await waitFor("d joins", async () => (await ports()).includes(d.port), 5_000, 20);
      expect(Date.now() - t0).toBeLessThan(2_000);
      expect((await cluster()).endpoints.find((e) => e.port === d.port)?.weight).toBe(3);
      await waitFor("traffic on d", () => (load.byUpstream.get("d") ?? 0) > 20);

      // a's checks go critical: `passing` drops it.
      consul.setService("users", [
        { id: "a", address: "127.0.0.1", port: a.port, tags: ["v1"], status: "critical" },
        { id: "d", address: "127.0.0.1", port: d.port, tags: ["v1"] },
      ]);
      await waitFor("a leaves", async () => JSON.stringify(await ports()) === JSON.stringify([d.port]), 5_000, 20);
      const aBefore = load.byUpstream.get("a") ?? 0;
      const dBefore = load.byUpstream.get("d") ?? 0;
      await waitFor("more traffic on d", () => (load.byUpstream.get("d") ?? 0) > dBefore + 30);
      expect((load.byUpstream.get("a") ?? 0) - aBefore).toBeLessThanOrEqual(6);
    } finally {
      await load.stop();
    }
    expect(load.failures).toEqual([]);
    expect(load.byUpstream.get("b") ?? 0).toBe(0);
    expect(load.byUpstream.get("c") ?? 0).toBe(0);

    // The proxy spoke the blocking-query protocol: index from X-Consul-Index, a wait, the filters.
    const last = consul.queries.at(-1) as URLSearchParams;
    expect(Number(last.get("index"))).toBeGreaterThan(1);
    expect(last.get("wait")).toBe("30s");
    expect(last.get("tag")).toBe("v1");
    expect(last.get("dc")).toBe("dc1");
    expect(last.has("passing")).toBe(true);
  }, 30_000);

  it("an agent failure keeps the last endpoints and is counted; recovery is picked up", async () => {
    const [a, , , d] = ups as [TNamedServer, TNamedServer, TNamedServer, TNamedServer];
    consul.failWith(500);
    const failed = await waitFor("a counted failure", async () => {
      const c = await cluster();
      return c.discoveryLastError ? c : null;
    });
    expect(failed.discoveryLastError).toContain("HTTP 500");
    expect(failed.endpoints.map((e) => e.port)).toEqual([d.port]);
    const r = await fetch(base);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe("d");

    consul.setService("users", [{ id: "a", address: "127.0.0.1", port: a.port, tags: ["v1"] }]);
    consul.failWith(null);
    // Retries back off from 1 s.
    await waitFor("recovered", async () => JSON.stringify(await ports()) === JSON.stringify([a.port]), 8_000);
    expect((await cluster()).discoveryLastError).toBeNull();
  }, 20_000);
});
