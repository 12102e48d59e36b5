import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listNodeClusterStatus } from "@switchyard/db";
import { freePort } from "../../proxy/test/helpers/free-port.ts";
import { startLoad, startNamedServer, waitFor, type TNamedServer } from "../../proxy/test/helpers/load.ts";
import { startProxy, type TProxyProcess } from "../../proxy/test/helpers/start-proxy.ts";
import { getClusterEndpointsView, setManagedEndpoints } from "../src/server/services/cluster-endpoints.ts";
import { startCpServer, type TCpServer } from "./helpers/cp-server.ts";

/**
 * Console-managed endpoints (discovery: eds), end to end on real processes and sockets:
 * REST PUT -> PostgreSQL + NOTIFY -> hub -> `endpoints` frame -> the real proxy CLI ->
 * endpointsAck, with no config version published in between; and endpoint churn under
 * load that must not fail a single request.
 */
type TClusterView = { name: string; source: string; endpointsVersion: number | null; endpoints: { address: string; port: number; successes: number }[] };

describe("eds: endpoints pushed by the console", () => {
  let cp: TCpServer;
  let ups: TNamedServer[];
  let proxy: TProxyProcess;
  let base: string;

  beforeAll(async () => {
    cp = await startCpServer();
    // 20 ms answers keep requests in flight while sets are swapped.
    ups = await Promise.all(["a", "b", "c", "d", "e"].map((n) => startNamedServer(n, "127.0.0.1", 0, 20)));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = {
      listeners: [{ name: "l", address: "127.0.0.1", port, routeConfig: "main" }],
      routeConfigs: [
        {
          name: "main",
          virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "api", match: { prefix: "/" }, route: { cluster: "api" } }] }],
        },
      ],
      clusters: [
        { name: "api", discovery: "eds", endpoints: [{ address: "127.0.0.1", port: (ups[0] as TNamedServer).port }] },
        { name: "fixed", discovery: "static", endpoints: [{ address: "127.0.0.1", port: (ups[0] as TNamedServer).port }] },
      ],
    };
    expect((await cp.api("/config", { method: "PUT", json: config })).status).toBe(200);
    expect((await cp.api("/versions", { method: "POST", json: { message: "eds cluster" } })).status).toBe(201);
    proxy = await startProxy({ args: ["--control-plane", cp.wsUrl, "--node-id", "eds-node"] });
  }, 120_000);

  afterAll(async () => {
    await proxy?.stop();
    await cp?.close();
    await Promise.all((ups ?? []).map((s) => s.close()));
  });

  const cluster = async (): Promise<TClusterView> => {
    const body = (await (await proxy.admin("/clusters")).json()) as { clusters: TClusterView[] };
    return body.clusters.find((c) => c.name === "api") as TClusterView;
  };
  const ports = async () => (await cluster()).endpoints.map((e) => e.port).sort((x, y) => x - y);
  const ep = (u: TNamedServer, weight = 1) => ({ address: "127.0.0.1", port: u.port, weight });

  it("a PUT reaches the proxy without a config version and is acked separately", async () => {
    const [a, b] = ups as [TNamedServer, TNamedServer];
    expect(await ports()).toEqual([a.port]);
    const t0 = Date.now();
    const put = await cp.api("/clusters/api/endpoints", { method: "PUT", json: { endpoints: [ep(a), ep(b, 2)] } });
    expect(put.status).toBe(200);
    expect(put.body.version).toBe(1);
    await waitFor("b joins", async () => (await ports()).includes(b.port), 5_000, 10);
    const followedMs = Date.now() - t0;
    expect(followedMs).toBeLessThan(2_000);
    expect((await cluster()).endpointsVersion).toBe(1);
    expect((await cluster()).source).toBe("eds (console)");

    // No new config version: still v1 on the node and in the console.
    const dump = (await (await proxy.admin("/config_dump")).json()) as { version: number };
    expect(dump.version).toBe(1);
    expect((await cp.api("/versions")).body).toHaveLength(1);

    const acked = await waitFor("node ack", async () => {
      const r = await cp.api("/clusters/api/endpoints");
      return r.body?.nodes?.[0]?.version === 1 ? r.body : null;
    });
    expect(acked.nodes[0]).toMatchObject({ nodeId: "eds-node", version: 1, ok: true, error: null });
    expect(acked.endpoints).toEqual([ep(a), ep(b, 2)]);

    // The node reports its clusters (source + live state) for the console's cluster page.
    const status = await waitFor("clusterStatus stored", async () => {
      const rows = await listNodeClusterStatus(cp.db);
      const api = rows.find((r) => r.nodeId === "eds-node")?.clusters.find((c) => c.name === "api");
      return api?.endpointsVersion === 1 ? api : null;
    });
    expect(status.source).toBe("eds (console)");
    expect(status.endpoints.map((e) => e.port).sort((x, y) => x - y)).toEqual([a.port, b.port].sort((x, y) => x - y));
    expect(status.endpoints.every((e) => e.health === "healthy")).toBe(true);

    // What the console's cluster page shows (the tRPC clusters.endpoints procedure's service).
    const view = await getClusterEndpointsView(cp.db, "api");
    expect(view.origin).toContain("managed in the console");
    expect(view.managed?.version).toBe(1);
    expect(view.nodes).toHaveLength(1);
    expect(view.nodes[0]).toMatchObject({ nodeId: "eds-node", connected: true, source: "eds (console)", endpointsVersion: 1, lastError: null });
    expect(view.nodes[0]?.endpoints.map((e) => e.health)).toEqual(["healthy", "healthy"]);
    const fixed = await getClusterEndpointsView(cp.db, "fixed");
    expect(fixed.origin).toBe("static endpoints in the config");
    expect(fixed.managed).toBeNull();
    await expect(setManagedEndpoints(cp.db, { actor: "someone", ip: null }, { name: "fixed", endpoints: [] })).rejects.toMatchObject({ code: "CONFLICT" });
  }, 30_000);

  it("refuses endpoints for unknown or non-eds clusters and invalid endpoints, naming the field", async () => {
    expect((await cp.api("/clusters/nope/endpoints", { method: "PUT", json: { endpoints: [] } })).status).toBe(404);
    const notEds = await cp.api("/clusters/fixed/endpoints", { method: "PUT", json: { endpoints: [] } });
    expect(notEds.status).toBe(409);
    expect(notEds.body.error).toContain("discovery static");
    const bad = await cp.api("/clusters/api/endpoints", { method: "PUT", json: { endpoints: [{ address: "127.0.0.1", port: 70000 }] } });
    expect(bad.status).toBe(422);
    expect(bad.body.issues[0].path).toBe("endpoints[0].port");
  });

  it("endpoint churn under load drops no request: new endpoints join, removed ones drain, kept ones keep their pool and counters", async () => {
    const [a, b, c, d, e] = ups as [TNamedServer, TNamedServer, TNamedServer, TNamedServer, TNamedServer];
    const load = startLoad(base, 12, 0);
    const sets = [[a, b, c], [b, c, d], [c, d, e], [a, c, e], [a, b, c, d, e], [c], [b, c], [a, c, d]];
    let keptSuccesses = 0;
    let version = (await cp.api("/clusters/api/endpoints")).body.version as number;
    try {
      await waitFor("traffic", () => load.ok > 50);
      for (let round = 0; round < 3; round++) {
        for (const set of sets) {
          const put = await cp.api("/clusters/api/endpoints", { method: "PUT", json: { endpoints: set.map((u) => ep(u)) } });
          expect(put.status).toBe(200);
          version = put.body.version;
          await waitFor(`set v${version}`, async () => (await cluster()).endpointsVersion === version, 5_000, 10);
          // c is in every set: its endpoint object (pool, counters) must survive every swap.
          const kept = (await cluster()).endpoints.find((x) => x.port === c.port);
          expect(kept?.successes ?? 0).toBeGreaterThanOrEqual(keptSuccesses);
          keptSuccesses = kept?.successes ?? 0;
          await new Promise((r) => setTimeout(r, 60));
        }
      }
    } finally {
      await load.stop();
    }
    expect(load.failures).toEqual([]);
    expect(load.ok).toBeGreaterThan(300);
    expect(keptSuccesses).toBeGreaterThan(20);
    for (const u of [a, b, c, d, e]) expect(load.byUpstream.get(u.name) ?? 0).toBeGreaterThan(0);
    console.info(`eds churn: ${sets.length * 3} endpoint sets under 12 concurrent clients, ${load.ok} requests, ${load.failures.length} failed`);
  }, 60_000);
});
