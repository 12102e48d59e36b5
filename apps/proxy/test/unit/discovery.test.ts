import { describe, expect, it } from "vitest";
import { parseCliOptions } from "../../src/cli/options.ts";
import { endpointsOf } from "../../src/upstream/discovery/kubernetes.ts";

describe("EndpointSlice -> endpoints", () => {
  const slice = (endpoints: object[], extra: object = {}) => ({
    metadata: { name: "s" },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080 }, { name: "grpc", port: 9090 }],
    endpoints,
    ...extra,
  });
  const ep = (ip: string, conditions: object) => ({ addresses: [ip], conditions });

  it("takes ready endpoints, port by name or number, and skips FQDN slices", () => {
    const s = [slice([ep("10.0.0.1", { ready: true }), ep("10.0.0.2", {}), ep("10.0.0.3", { ready: false })]), slice([ep("x.example", { ready: true })], { addressType: "FQDN" })];
    expect(endpointsOf(s as never, "http").map((e) => `${e.address}:${e.port}`)).toEqual(["10.0.0.1:8080", "10.0.0.2:8080"]);
    expect(endpointsOf(s as never, 9090).map((e) => e.port)).toEqual([9090, 9090]);
    expect(endpointsOf(s as never, "metrics")).toEqual([]);
  });

  it("terminating endpoints never serve while a ready one exists; serving+terminating is the fallback", () => {
    const mixed = [slice([ep("10.0.0.1", { ready: true }), ep("10.0.0.2", { ready: false, serving: true, terminating: true })])];
    expect(endpointsOf(mixed as never, "http").map((e) => e.address)).toEqual(["10.0.0.1"]);
    const draining = [slice([ep("10.0.0.2", { ready: false, serving: true, terminating: true }), ep("10.0.0.3", { ready: false, serving: false, terminating: true })])];
    expect(endpointsOf(draining as never, "http").map((e) => e.address)).toEqual(["10.0.0.2"]);
  });
});

describe("discovery CLI flags", () => {
  const run = (argv: string[], env: Record<string, string> = {}) => {
    const c = parseCliOptions(["--config", "x.yaml", ...argv], env);
    if (c.kind !== "run") throw new Error("expected run");
    return c.options.discovery;
  };
  it("defaults: local Consul agent, no Kubernetes API server", () => {
    expect(run([])).toEqual({ consulUrl: "http://127.0.0.1:8500", consulToken: null, kubernetes: null });
  });
  it("flags win over env; KUBECONFIG's first file; in-cluster when the kubelet's env is set", () => {
    expect(run(["--consul", "http://c:8500"], { SWITCHYARD_CONSUL_URL: "http://env:8500", SWITCHYARD_CONSUL_TOKEN: "t" })).toMatchObject({ consulUrl: "http://c:8500", consulToken: "t" });
    expect(run([], { KUBECONFIG: "/a/config:/b/config" }).kubernetes).toEqual({ kind: "kubeconfig", path: "/a/config" });
    expect(run([], { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" }).kubernetes).toMatchObject({ kind: "inCluster", host: "10.96.0.1", port: "443" });
  });
  it("refuses a bad Consul URL naming the flag", () => {
    expect(() => run(["--consul", "consul:8500"])).toThrow(/--consul \(or SWITCHYARD_CONSUL_URL\): must be an http/);
  });
});
