import { parseConfig, type TConfig } from "@switchyard/config-model";
import { makeCluster, makeConfig, makeRoute, makeRouteConfig, makeVirtualHost } from "@switchyard/config-model/testing";
import { describe, expect, it } from "vitest";
import { topologyGraph, type TTopologyInput } from "../src/server/telemetry/topology.ts";

const v1 = parseConfig(makeConfig({ clusters: [makeCluster({ name: "backend" }), makeCluster({ name: "orders", endpoints: [{ address: "127.0.0.1", port: 9001 }] })] }));
const v2: TConfig = parseConfig(
  makeConfig({
    routeConfigs: [makeRouteConfig({ virtualHosts: [makeVirtualHost({ routes: [makeRoute({ route: { cluster: "orders" } })] })] })],
    clusters: [makeCluster({ name: "backend" }), makeCluster({ name: "orders", endpoints: [{ address: "127.0.0.1", port: 9001 }] })],
  }),
);
const node = (id: string, appliedVersion: number | null, group = "default") => ({ id, group, connected: true, appliedVersion, lastError: null });
const input = (o: Partial<TTopologyInput>): TTopologyInput => ({ latestVersion: 1, windowS: 60, nodes: [], configs: new Map([[1, v1]]), statuses: [], health: [], rows: [], ...o });
const ids = (t: ReturnType<typeof topologyGraph>) => t.nodes.map((n) => n.id).sort();

describe("topologyGraph", () => {
  it("draws one version with plain ids, the config's endpoints before any node reported", () => {
    const t = topologyGraph(input({ nodes: [node("n1", 1)] }));
    expect(ids(t)).toEqual(
      ["proxy:n1", "listener:public", "vhost:main/all", "route:main/all/default", "cluster:backend", "cluster:orders", "endpoint:backend/127.0.0.1:9000", "endpoint:orders/127.0.0.1:9001"].sort(),
    );
    expect(t.nodes.find((n) => n.id === "endpoint:backend/127.0.0.1:9000")!.detail).toMatch(/from the config/);
    expect(t.edges.map((e) => e.id)).toContain("proxy:n1->listener:public");
  });

  it("draws the endpoints the nodes report (kubernetes, DNS, eds), with each node's view of them", () => {
    const k8s = parseConfig(makeConfig({ clusters: [makeCluster({ name: "backend", discovery: "kubernetes", endpoints: [], kubernetes: { namespace: "default", service: "backend", port: "http" } })] }));
    const report = (nodeId: string, ejected: boolean) => ({
      nodeId,
      clusters: [{ name: "backend", discovery: "kubernetes", source: "k8s", endpointsVersion: null, updatedAt: 1, lastError: null, failures: 0, endpoints: [{ address: "10.1.2.3", port: 8080, weight: 1, health: "healthy", ejected, activeRequests: 0 }] }],
    });
    const t = topologyGraph(input({ configs: new Map([[1, k8s]]), nodes: [node("n1", 1), node("n2", 1)], statuses: [report("n1", false), report("n2", true)] }));
    const ep = t.nodes.find((n) => n.id === "endpoint:backend/10.1.2.3:8080")!;
    expect(ep.health).toBe("unhealthy");
    expect(ep.detail).toBe("reported by 2 node(s): n1: healthy; n2: ejected");
    expect(t.nodes.find((n) => n.id === "cluster:backend")!.detail).toMatch(/1 endpoint\(s\) as the nodes report them/);
  });

  it("draws a canary group on its own version: its chain apart, identical clusters shared", () => {
    const t = topologyGraph(input({ latestVersion: 2, configs: new Map([[1, v1], [2, v2]]), nodes: [node("n1", 1), node("c1", 2, "canary")] }));
    expect(t.versionsInUse).toEqual([1, 2]);
    const edgeIds = t.edges.map((e) => e.id);
    expect(edgeIds).toContain("proxy:n1->listener:public@v1");
    expect(edgeIds).toContain("proxy:c1->listener:public@v2");
    expect(edgeIds).not.toContain("proxy:c1->listener:public@v1");
    expect(edgeIds).toContain("route:main@v1/all/default->cluster:backend");
    expect(edgeIds).toContain("route:main@v2/all/default->cluster:orders");
    expect(t.nodes.find((n) => n.id === "listener:public@v2")!.label).toBe("public :8080 (v2)");
    expect(t.nodes.find((n) => n.id === "cluster:backend")!.versions).toEqual([1, 2]);
    expect(t.nodes.find((n) => n.id === "proxy:c1")!.detail).toMatch(/^group canary, connected, v2/);
  });
});
