import { describe, expect, it } from "vitest";
import { findInvalidHeaderValues, findUnenforceable, findUnsupported, parseConfig, validateConfig, validateEdit, ZConfig, UNSUPPORTED_MESSAGE } from "../src/index.ts";
import { makeCluster, makeConfig, makeListener, makeRoute, makeRouteConfig, makeVirtualHost } from "../src/testing/fixtures.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----";

/** A route config using the traffic-management features (rate limits, retries, mirrors, hashing, idle timeouts). */
const trafficRouteConfig = () =>
  makeRouteConfig({
    virtualHosts: [
      makeVirtualHost({
        rateLimit: "per-ip",
        routes: [
          makeRoute({
            route: {
              cluster: "backend",
              rateLimit: "per-ip",
              retryPolicy: { retryOn: ["5xx"] },
              mirror: [{ cluster: "backend" }],
              hashPolicy: [{ header: "x-user" }],
              idleTimeoutMs: 5,
            },
          }),
        ],
      }),
    ],
  });

describe("unsupported-feature check", () => {
  it("accepts the traffic-management features this build implements", () => {
    const config = parseConfig(
      makeConfig({
        routeConfigs: [trafficRouteConfig()],
        clusters: [
          makeCluster({ lbPolicy: "maglev", healthCheck: { type: "tcp" }, outlierDetection: {}, circuitBreakers: {} }),
          // grpc health checks run since the protocols (#4) and traffic (#3) issues met.
          makeCluster({ name: "grpc", protocol: "http2", tls: {}, healthCheck: { type: "grpc", grpcServiceName: "svc" } }),
        ],
        rateLimitPolicies: [{ name: "per-ip", requests: 10 }],
      }),
    );
    expect(findUnsupported(config)).toEqual([]);
  });

  it("accepts what this build implements", () => {
    const config = parseConfig(
      makeConfig({
        clusters: [makeCluster({ lbPolicy: "leastRequest" }), makeCluster({ name: "b", lbPolicy: "random", endpoints: [] })],
        routeConfigs: [
          makeRouteConfig({
            virtualHosts: [
              makeVirtualHost({
                requestHeaders: { add: [{ name: "x-a", value: "1" }], remove: [] },
                routes: [
                  makeRoute({ route: { weightedClusters: [{ cluster: "backend", weight: 1 }, { cluster: "b", weight: 1 }], prefixRewrite: "/", hostRewrite: "h" } }),
                  makeRoute({ name: "r", match: { path: "/r" }, route: undefined, redirect: { httpsRedirect: true } }),
                ],
              }),
            ],
          }),
        ],
        // Secrets themselves are fine (nothing uses them yet); only features that would use them are refused.
        secrets: [{ name: "cert", type: "tlsCertificate", certificate: PEM, privateKey: PEM.replace(/CERTIFICATE/g, "PRIVATE KEY") }],
      }),
    );
    expect(findUnsupported(config)).toEqual([]);
  });

  it("refuses every unimplemented field with its path (only http2 + logicalDns is left)", () => {
    const config = ZConfig.parse(
      makeConfig({
        listeners: [
          makeListener({ httpFilters: [{ type: "cors", allowOrigins: ["*"] }] }),
          makeListener({ name: "tls", port: 8443, protocol: "https", tls: { certificates: ["cert"] } }),
          makeListener({ name: "tcp", port: 5432, protocol: "tcp", routeConfig: undefined, tcp: { cluster: "backend" } }),
        ],
        routeConfigs: [trafficRouteConfig()],
        clusters: [
          makeCluster({
            lbPolicy: "ringHash",
            protocol: "http2",
            tls: {},
            healthCheck: { type: "grpc" },
            outlierDetection: {},
            circuitBreakers: {},
          }),
          // Served since issue #8 (service discovery): never refused.
          makeCluster({ name: "dns", discovery: "strictDns", endpoints: [{ address: "localhost", port: 80 }] }),
          // The one combination still refused: the h2 pool cannot use logicalDns's resolver.
          makeCluster({ name: "h2dns", discovery: "logicalDns", protocol: "http2", endpoints: [{ address: "localhost", port: 80 }] }),
        ],
        secrets: [{ name: "cert", type: "tlsCertificate", certificate: PEM, privateKey: PEM }],
        rateLimitPolicies: [{ name: "per-ip", requests: 10 }],
      }),
    );
    const issues = findUnsupported(config);
    expect(issues.every((i) => i.message === UNSUPPORTED_MESSAGE)).toBe(true);
    expect(issues.map((i) => i.path).sort()).toEqual(
      [
        "clusters[2].protocol",
      ].sort(),
    );
  });
});

describe("header values from config", () => {
  it("refuses values node:http could not write, naming the path", () => {
    const config = ZConfig.parse(
      makeConfig({
        routeConfigs: [
          makeRouteConfig({
            virtualHosts: [
              makeVirtualHost({
                responseHeaders: { add: [{ name: "x-ok", value: "fine\tvalue" }, { name: "x-bad", value: "a\r\nSet-Cookie: x" }], remove: [] },
                routes: [makeRoute({ route: { cluster: "backend", hostRewrite: "evil\n" } })],
              }),
            ],
          }),
        ],
      }),
    );
    expect(findInvalidHeaderValues(config).map((i) => i.path)).toEqual([
      "routeConfigs[0].virtualHosts[0].responseHeaders.add[1].value",
      "routeConfigs[0].virtualHosts[0].routes[0].route.hostRewrite",
    ]);
  });
});

describe("validateConfig and validateEdit refuse what the proxy would refuse", () => {
  const withHostRewrite = (hostRewrite: string) =>
    makeConfig({ routeConfigs: [makeRouteConfig({ virtualHosts: [makeVirtualHost({ routes: [makeRoute({ route: { cluster: "backend", hostRewrite } })] })] })] });
  const hostRewritePath = "routeConfigs[0].virtualHosts[0].routes[0].route.hostRewrite";

  it.each([
    ["CR LF", "a\r\nb"],
    ["NUL", "a\u0000b"],
    ["a lone LF", "a\nb"],
    ["DEL", "a\u007fb"],
    ["BEL", "a\u0007b"],
  ])("a hostRewrite with %s is an issue at its path", (_what, value) => {
    const result = validateConfig(withHostRewrite(value));
    expect(result).toEqual({ ok: false, issues: [{ path: hostRewritePath, message: expect.stringContaining("valid HTTP header value") }] });
  });

  it("a tab and obs-text bytes stay valid field values", () => {
    expect(validateConfig(withHostRewrite("a\tb\u00e9")).ok).toBe(true);
  });

  it("an edit that introduces one is refused too, as is an unsupported combination and a CRLF CORS origin", () => {
    const before = parseConfig(withHostRewrite("ok.internal"));
    const after = ZConfig.parse(withHostRewrite("a\r\nb"));
    expect(validateEdit(before, after)).toEqual({ ok: false, issues: [{ path: hostRewritePath, message: expect.any(String) }] });

    const h2dns = { ...before, clusters: [...before.clusters, ZConfig.shape.clusters.parse([makeCluster({ name: "h2dns", discovery: "logicalDns", protocol: "http2", endpoints: [{ address: "localhost", port: 80 }] })])[0]!] };
    expect(validateEdit(before, h2dns)).toEqual({ ok: false, issues: [{ path: "clusters[1].protocol", message: UNSUPPORTED_MESSAGE }] });

    const cors = validateConfig(makeConfig({ listeners: [makeListener({ httpFilters: [{ type: "cors", allowOrigins: ["https://a.example\r\nx-evil: 1"] }] })] }));
    expect(cors).toEqual({ ok: false, issues: [{ path: "listeners[0].httpFilters[0].allowOrigins[0]", message: expect.any(String) }] });
  });

  it("global rate limits are unenforceable without Redis, with the policy's path", () => {
    const config = parseConfig(makeConfig({ rateLimitPolicies: [{ name: "local", requests: 1 }, { name: "shared", scope: "global", requests: 1 }] }));
    expect(findUnenforceable(config, { redis: true })).toEqual([]);
    expect(findUnenforceable(config, { redis: false })).toEqual([{ path: "rateLimitPolicies[1].scope", message: expect.stringContaining("--redis") }]);
  });

  it("plugin entries: a module the proxy did not announce, or another version than the pin, with the entry's path; unknown plugins (older proxies) are not judged", () => {
    const tenant = { module: "@acme/tenant", name: "tenant", version: "1.2.0", configSchema: null };
    const config = parseConfig(
      makeConfig({
        listeners: [
          makeListener({
            httpFilters: [
              { type: "cors", allowOrigins: ["*"] },
              { type: "plugin", name: "tenant", module: "@acme/tenant", version: "1.2.0" },
              { type: "plugin", name: "geo", module: "/opt/geo.mjs" },
            ],
          }),
        ],
      }),
    );
    expect(findUnenforceable(config, { redis: true })).toEqual([]);
    expect(findUnenforceable(config, { redis: true, plugins: [tenant, { ...tenant, module: "/opt/geo.mjs", name: "geo" }] })).toEqual([]);
    expect(findUnenforceable(config, { redis: true, plugins: [{ ...tenant, version: "1.1.0" }] })).toEqual([
      { path: "listeners[0].httpFilters[1].version", message: 'plugin "@acme/tenant" is version 1.1.0, the config needs 1.2.0' },
      { path: "listeners[0].httpFilters[2].module", message: 'plugin module "/opt/geo.mjs" is not installed' },
    ]);
  });
});

describe("plugin filter entries", () => {
  it("need a name and a module that is a package, an absolute path or a file: URL; config defaults to {} and timeoutMs to 5000", () => {
    const entry = (f: Record<string, unknown>) => validateConfig(makeConfig({ listeners: [makeListener({ httpFilters: [{ type: "plugin", ...f }] as never })] }));
    const ok = entry({ name: "t", module: "@acme/tenant" });
    expect(ok.ok && ok.config.listeners[0]?.httpFilters[0]).toEqual({ type: "plugin", name: "t", module: "@acme/tenant", config: {}, timeoutMs: 5000 });
    expect(entry({ name: "t", module: "file:///opt/t.mjs" }).ok).toBe(true);
    expect(entry({ name: "t", module: "/opt/t/index.ts" }).ok).toBe(true);
    const relative = entry({ name: "t", module: "./t.mjs" });
    expect(relative.ok || relative.issues).toEqual([{ path: "listeners[0].httpFilters[0].module", message: expect.stringContaining("not a relative path") }]);
    const nameless = entry({ module: "@acme/tenant" });
    expect(nameless.ok || nameless.issues.map((i) => i.path)).toEqual(["listeners[0].httpFilters[0].name"]);
    expect(entry({ name: "t", module: "m", timeoutMs: 0 }).ok).toBe(false);
    const twice = validateConfig(
      makeConfig({ listeners: [makeListener({ httpFilters: [{ type: "cors", name: "t", allowOrigins: ["*"] }, { type: "plugin", name: "t", module: "m" }] as never })] }),
    );
    expect(twice.ok || twice.issues).toEqual([{ path: "listeners[0].httpFilters[1].name", message: expect.stringContaining("must be unique in the chain") }]);
  });
});
