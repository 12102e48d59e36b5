import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { DNSMASQ, startDnsmasq, type TDnsServer } from "../helpers/dnsmasq.ts";
import { freePort } from "../helpers/free-port.ts";
import { startLoad, startOnHosts, waitFor, type TNamedServer } from "../helpers/load.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";

/**
 * strictDns / logicalDns against a REAL DNS server (Debian's dnsmasq on 127.0.0.1,
 * records rewritten + SIGHUP mid-test) while traffic flows through the real proxy CLI.
 * Upstreams listen on 127.0.0.2 / 127.0.0.3 / ::1 with one port, as DNS records name hosts.
 */
if (!DNSMASQ) {
  console.warn("SKIPPED discovery-dns tests: dnsmasq is not installed (apt-get install -y dnsmasq; .ci/run installs it)");
}

type TClusterView = { name: string; source: string; discoveryFailures: number; discoveryLastError: string | null; endpoints: { address: string; port: number }[] };

describe.skipIf(!DNSMASQ)("DNS discovery (dnsmasq)", () => {
  let dns: TDnsServer;
  let servers: TNamedServer[];
  let logicalServers: TNamedServer[];
  let proxy: TProxyProcess;
  let base: string;
  const records = (svc: string[], one: string[], flaky: string[]) => ({ "svc.test": svc, "one.test": one, "flaky.test": flaky });

  beforeAll(async () => {
    servers = await startOnHosts(["127.0.0.2", "127.0.0.3", "::1"]);
    // Connection: close on every answer, so each request is a NEW upstream connection.
    logicalServers = await startOnHosts(["127.0.0.2", "127.0.0.3"], 0, true);
    dns = await startDnsmasq(records(["127.0.0.2"], ["127.0.0.2"], ["127.0.0.2"]), 1);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const port0 = (servers[0] as TNamedServer).port;
    const lport = (logicalServers[0] as TNamedServer).port;
    proxy = await startProxy({
      config: {
        listeners: [{ name: "l", address: "127.0.0.1", port, routeConfig: "main" }],
        routeConfigs: [
          {
            name: "main",
            virtualHosts: [
              {
                name: "all",
                domains: ["*"],
                routes: [
                  { name: "svc", match: { prefix: "/svc" }, route: { cluster: "svc" } },
                  { name: "one", match: { prefix: "/one" }, route: { cluster: "one" } },
                  { name: "flaky", match: { prefix: "/flaky" }, route: { cluster: "flaky" } },
                ],
              },
            ],
          },
        ],
        clusters: [
          // Refresh interval 30 s: only the records' TTL (1 s) can make it follow in time.
          { name: "svc", discovery: "strictDns", endpoints: [{ address: "svc.test", port: port0 }], dnsResolvers: [dns.address], dnsRefreshMs: 30_000 },
          { name: "one", discovery: "logicalDns", endpoints: [{ address: "one.test", port: lport }], dnsResolvers: [dns.address], dnsRefreshMs: 300 },
          { name: "flaky", discovery: "strictDns", endpoints: [{ address: "flaky.test", port: port0 }], dnsResolvers: [dns.address], dnsRefreshMs: 300 },
          { name: "sys", discovery: "strictDns", endpoints: [{ address: "localhost", port: port0 }] },
        ],
      },
    });
  }, 30_000);

  afterAll(async () => {
    await proxy?.stop();
    await dns?.stop();
    await Promise.all([...(servers ?? []), ...(logicalServers ?? [])].map((s) => s.close()));
  });

  const cluster = async (name: string): Promise<TClusterView> => {
    const body = (await (await proxy.admin("/clusters")).json()) as { clusters: TClusterView[] };
    const c = body.clusters.find((x) => x.name === name);
    if (!c) throw new Error(`no cluster ${name}`);
    return c;
  };
  const addresses = async (name: string) => (await cluster(name)).endpoints.map((e) => e.address).sort();

  it("strictDns: every A/AAAA record is an endpoint; the proxy follows record changes within the TTL, with zero failed requests", async () => {
    expect(await addresses("svc")).toEqual(["127.0.0.2"]);
    expect((await cluster("svc")).source).toContain(dns.address);
    const load = startLoad(`${base}/svc`, 6);
    try {
      await waitFor("traffic on 127.0.0.2", () => (load.byUpstream.get("127.0.0.2") ?? 0) > 20);
      const t0 = Date.now();
      await dns.setRecords(records(["127.0.0.2", "127.0.0.3", "::1"], ["127.0.0.2"], ["127.0.0.2"]));
      await waitFor("three endpoints", async () => (await addresses("svc")).length === 3, 8_000);
      const followedMs = Date.now() - t0;
      // dnsRefreshMs is 30 s: following in a few seconds proves the 1 s TTL was honoured.
      expect(followedMs).toBeLessThan(6_000);
      await waitFor("traffic on all three", () => (load.byUpstream.get("127.0.0.3") ?? 0) > 10 && (load.byUpstream.get("::1") ?? 0) > 10);

      await dns.setRecords(records(["127.0.0.3"], ["127.0.0.2"], ["127.0.0.2"]));
      await waitFor("only 127.0.0.3", async () => JSON.stringify(await addresses("svc")) === JSON.stringify(["127.0.0.3"]), 8_000);
      const before2 = load.byUpstream.get("127.0.0.2") ?? 0;
      const before3 = load.byUpstream.get("127.0.0.3") ?? 0;
      await waitFor("more traffic on 127.0.0.3", () => (load.byUpstream.get("127.0.0.3") ?? 0) > before3 + 30);
      // Removed endpoints drain: nothing new reaches them after the swap.
      expect((load.byUpstream.get("127.0.0.2") ?? 0) - before2).toBeLessThanOrEqual(6);
    } finally {
      await load.stop();
    }
    expect(load.failures).toEqual([]);
    expect(load.ok).toBeGreaterThan(50);
  }, 30_000);

  it("logicalDns: each new connection dials the first address of the latest answer", async () => {
    const first = await request(`${base}/one`);
    expect(first.headers["x-upstream"]).toBe("127.0.0.2");
    await first.body.text();
    expect(await addresses("one")).toEqual(["one.test"]);
    await dns.setRecords(records(["127.0.0.3"], ["127.0.0.3"], ["127.0.0.2"]));
    // Upstreams close every connection, so the next requests open new ones.
    await waitFor(
      "requests reaching 127.0.0.3",
      async () => {
        const r = await request(`${base}/one`);
        await r.body.text();
        return r.statusCode === 200 && r.headers["x-upstream"] === "127.0.0.3";
      },
      8_000,
      100,
    );
    await proxy.waitForEvent((e) => e.event === "logical_dns_address" && e.address === "127.0.0.3");
  }, 20_000);

  it("a resolution failure keeps the last endpoints, is counted, and recovery is picked up", async () => {
    expect(await addresses("flaky")).toEqual(["127.0.0.2"]);
    const failuresBefore = (await cluster("flaky")).discoveryFailures;
    // flaky.test vanishes: dnsmasq (no upstream resolvers) refuses the query.
    await dns.setRecords(records(["127.0.0.3"], ["127.0.0.3"], []));
    const failed = await waitFor("a counted failure", async () => {
      const c = await cluster("flaky");
      return c.discoveryFailures > failuresBefore && c.discoveryLastError !== null ? c : null;
    });
    expect(failed.discoveryLastError).toMatch(/flaky\.test/);
    expect(failed.endpoints.map((e) => e.address)).toEqual(["127.0.0.2"]);
    const r = await request(`${base}/flaky`);
    expect(r.statusCode).toBe(200);
    await r.body.text();
    const metrics = await (await proxy.admin("/stats/prometheus")).text();
    expect(metrics).toMatch(/switchyard_discovery_total\{cluster="flaky",discovery="strictDns",result="failure"\} [1-9]/);

    await dns.setRecords(records(["127.0.0.3"], ["127.0.0.3"], ["127.0.0.3"]));
    await waitFor("recovered", async () => JSON.stringify(await addresses("flaky")) === JSON.stringify(["127.0.0.3"]), 8_000);
    expect((await cluster("flaky")).discoveryLastError).toBeNull();
  }, 20_000);

  it("without dnsResolvers the system's resolver is used", async () => {
    const a = await addresses("sys");
    expect(a).toContain("127.0.0.1");
    expect((await cluster("sys")).source).toContain("system resolver");
  });
});
