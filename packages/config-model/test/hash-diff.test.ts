import { describe, expect, it } from "vitest";
import { canonicalJson, diffConfigs, formatDiff, hashConfig, parseConfig, redactConfig, REDACTED } from "../src/index.ts";
import { makeCluster, makeConfig, makeRoute, makeRouteConfig, makeVirtualHost } from "../src/testing/fixtures.ts";

describe("canonical hash", () => {
  it("ignores key order but not array order", () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, 1] } })).toBe('{"a":{"c":[3,1],"d":2},"b":1}');
    expect(hashConfig({ a: 1, b: 2 })).toBe(hashConfig({ b: 2, a: 1 }));
    expect(hashConfig({ a: [1, 2] })).not.toBe(hashConfig({ a: [2, 1] }));
    expect(hashConfig({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });

  it("gives the same hash to a config written with and without its defaults", () => {
    const short = parseConfig(makeConfig());
    const long = parseConfig(JSON.parse(JSON.stringify(short)));
    expect(hashConfig(long)).toBe(hashConfig(short));
  });
});

describe("diffConfigs", () => {
  it("lists added, removed and changed resources with the changed fields", () => {
    const before = parseConfig(makeConfig({ clusters: [makeCluster(), makeCluster({ name: "old" })] }));
    const after = parseConfig(
      makeConfig({
        clusters: [makeCluster({ endpoints: [{ address: "127.0.0.1", port: 9001 }] }), makeCluster({ name: "new" })],
        routeConfigs: [makeRouteConfig({ virtualHosts: [makeVirtualHost({ routes: [makeRoute({ match: { prefix: "/api" } })] })] })],
      }),
    );
    const diff = diffConfigs(before, after);
    expect(diff.empty).toBe(false);
    expect(diff.clusters).toEqual({ added: ["new"], removed: ["old"], changed: [{ name: "backend", fields: ["endpoints[0].port"] }] });
    expect(diff.routeConfigs.changed).toEqual([{ name: "main", fields: ["virtualHosts[0].routes[0].match.prefix"] }]);
    expect(diff.listeners).toEqual({ added: [], removed: [], changed: [] });
    expect(formatDiff(diff)).toContain("~ clusters/backend: endpoints[0].port");
  });

  it("is empty for equal configs", () => {
    const a = parseConfig(makeConfig());
    expect(diffConfigs(a, parseConfig(makeConfig())).empty).toBe(true);
    expect(formatDiff(diffConfigs(a, a))).toBe("no changes");
  });
});

describe("redactConfig", () => {
  it("replaces private keys and keeps certificates", () => {
    const pem = (kind: string) => `-----BEGIN ${kind}-----\nabc\n-----END ${kind}-----`;
    const config = parseConfig({ secrets: [{ name: "c", type: "tlsCertificate", certificate: pem("CERTIFICATE"), privateKey: pem("PRIVATE KEY") }] });
    const redacted = redactConfig(config);
    expect(redacted.secrets[0]).toMatchObject({ privateKey: REDACTED, certificate: pem("CERTIFICATE") });
    expect(JSON.stringify(redacted)).not.toContain("PRIVATE KEY");
    expect(config.secrets[0]).toMatchObject({ privateKey: pem("PRIVATE KEY") });
  });
});
