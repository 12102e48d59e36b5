import { describe, expect, it } from "vitest";
import { validateConfig, type TConfigIssue } from "../src/index.ts";
import { makeCluster, makeConfig, makeListener } from "../src/testing/fixtures.ts";

/** networkFilters on tcp listeners: schema rules and the consistency check (the console and the proxy run both). */
function issuesOf(input: unknown): TConfigIssue[] {
  const result = validateConfig(input);
  if (result.ok) throw new Error("expected the config to be refused");
  return result.issues;
}

const tcpListener = (rest: object) => makeListener({ protocol: "tcp", routeConfig: undefined, ...rest });
const router = (rest: object = {}) => ({ type: "sniRouter" as const, routes: [{ serverNames: ["db.example.com", "*.svc.example.com"], cluster: "backend" }], ...rest });

describe("networkFilters", () => {
  it("accepts a sniRouter as the cluster chooser (tcp without cluster) and fills its defaults; old configs stay as they were", () => {
    const result = validateConfig(makeConfig({ listeners: [tcpListener({ tcp: {}, networkFilters: [router({ defaultCluster: "backend" })] })] }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.listeners[0]!.networkFilters![0]).toMatchObject({ helloTimeoutMs: 15_000, maxHelloBytes: 65_536 });
    const plain = validateConfig(makeConfig({ listeners: [tcpListener({ tcp: { cluster: "backend" } })] }));
    expect(plain.ok && plain.config.listeners[0]!.networkFilters).toBeUndefined();
  });

  it("names the path of an unknown cluster in a route or as the default", () => {
    const issues = issuesOf(makeConfig({ listeners: [tcpListener({ tcp: {}, networkFilters: [router({ routes: [{ serverNames: ["a.example.com"], cluster: "userz" }], defaultCluster: "nope" })] })] }));
    expect(issues).toContainEqual({ path: "listeners[0].networkFilters[0].routes[0].cluster", message: 'unknown cluster "userz"' });
    expect(issues).toContainEqual({ path: "listeners[0].networkFilters[0].defaultCluster", message: 'unknown cluster "nope"' });
  });

  it("refuses a server name served twice, a bad name, and a bad CIDR in rbac", () => {
    const issues = issuesOf(
      makeConfig({
        clusters: [makeCluster(), makeCluster({ name: "other" })],
        listeners: [
          tcpListener({
            tcp: {},
            networkFilters: [
              { type: "rbac", rules: [{ allow: true, principals: [{ sourceIp: "10.0.0.0/33" }] }] },
              router({ routes: [{ serverNames: ["A.example.com"], cluster: "backend" }, { serverNames: ["b.example.com", "a.example.com"], cluster: "other" }] }),
            ],
          }),
        ],
      }),
    );
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(["listeners[0].networkFilters[1].routes[1].serverNames[1]", "listeners[0].networkFilters[0].rules[0].principals[0].sourceIp"]),
    );
    // "*" is not a server name (defaultCluster takes what no route serves); checked by the schema.
    const star = issuesOf(makeConfig({ listeners: [tcpListener({ tcp: {}, networkFilters: [router({ routes: [{ serverNames: ["*", "a.*.com"], cluster: "backend" }] })] })] }));
    expect(star.map((i) => i.path)).toEqual(["listeners[0].networkFilters[0].routes[0].serverNames[0]", "listeners[0].networkFilters[0].routes[0].serverNames[1]"]);
  });

  it("says who picks the cluster: tcp.cluster without a sniRouter, defaultCluster with one", () => {
    expect(issuesOf(makeConfig({ listeners: [tcpListener({ tcp: {} })] }))).toContainEqual(expect.objectContaining({ path: "listeners[0].tcp.cluster" }));
    expect(issuesOf(makeConfig({ listeners: [tcpListener({ tcp: { cluster: "backend" }, networkFilters: [router()] })] }))).toContainEqual(expect.objectContaining({ path: "listeners[0].tcp.cluster" }));
  });

  it("refuses network filters on http listeners, a sniRouter behind TLS termination, two routers and duplicate names", () => {
    expect(issuesOf(makeConfig({ listeners: [makeListener({ networkFilters: [router()] })] }))).toContainEqual(expect.objectContaining({ path: "listeners[0].networkFilters" }));
    const issues = issuesOf(
      makeConfig({
        listeners: [tcpListener({ tcp: {}, tls: { certificates: ["cert"] }, networkFilters: [router(), router(), { type: "rbac", name: "sniRouter", rules: [{ allow: true }] }] })],
      }),
    );
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(["listeners[0].networkFilters[0]", "listeners[0].networkFilters[1]", "listeners[0].networkFilters[1].name", "listeners[0].networkFilters[2].name"]));
  });
});
