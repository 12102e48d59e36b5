import { describe, expect, it } from "vitest";
import { ConfigValidationError, parseConfig, validateConfig, validateEdit, type TConfig, type TConfigIssue } from "../src/index.ts";
import { makeCluster, makeConfig, makeListener, makeRoute, makeRouteConfig, makeVirtualHost } from "../src/testing/fixtures.ts";

function issuesOf(input: unknown): TConfigIssue[] {
  const result = validateConfig(input);
  if (result.ok) throw new Error("expected the config to be refused");
  return result.issues;
}

const withRoutes = (...routes: ReturnType<typeof makeRoute>[]) =>
  makeConfig({ routeConfigs: [makeRouteConfig({ virtualHosts: [makeVirtualHost({ routes })] })] });

describe("validateConfig: schema", () => {
  it("accepts a minimal config and fills Envoy's defaults", () => {
    const result = validateConfig(makeConfig());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [route] = result.config.routeConfigs[0]!.virtualHosts[0]!.routes;
    expect(route!.route!.timeoutMs).toBe(15_000);
    expect(result.config.clusters[0]!.lbPolicy).toBe("roundRobin");
    expect(result.config.clusters[0]!.connectTimeoutMs).toBe(5_000);
    expect(result.config.clusters[0]!.endpoints[0]!.weight).toBe(1);
    expect(result.config.listeners[0]!.limits.maxHeaderBytes).toBe(65_536);
    expect(Object.isFrozen(result.config.clusters[0]!.endpoints)).toBe(true);
  });

  it("accepts an empty document", () => {
    expect(validateConfig({}).ok).toBe(true);
  });

  it("names the path of a wrong field type and of an unknown field", () => {
    const issues = issuesOf(makeConfig({ clusters: [makeCluster({ endpoints: [{ address: "127.0.0.1", port: 70000 }] })] }));
    expect(issues).toContainEqual({ path: "clusters[0].endpoints[0].port", message: "must be <= 65535" });
    const unknown = issuesOf({ ...makeConfig(), listenerz: [] });
    expect(unknown[0]!.message).toMatch(/listenerz/);
  });

  it("enforces exactly one of prefix | path | regex", () => {
    const both = issuesOf(withRoutes(makeRoute({ match: { prefix: "/", path: "/a" } })));
    expect(both).toContainEqual({
      path: "routeConfigs[0].virtualHosts[0].routes[0].match",
      message: "exactly one of prefix | path | regex is allowed, got prefix and path",
    });
    const none = issuesOf(withRoutes(makeRoute({ match: {} })));
    expect(none[0]!.message).toBe("exactly one of prefix | path | regex is required");
  });

  it("enforces exactly one of route | redirect | directResponse and cluster | weightedClusters", () => {
    const two = issuesOf(withRoutes(makeRoute({ directResponse: { status: 200 } })));
    expect(two[0]).toMatchObject({ path: "routeConfigs[0].virtualHosts[0].routes[0]", message: expect.stringContaining("route and directResponse") });
    const action = issuesOf(withRoutes(makeRoute({ route: { cluster: "backend", weightedClusters: [{ cluster: "backend", weight: 1 }] } })));
    expect(action[0]!.path).toBe("routeConfigs[0].virtualHosts[0].routes[0].route");
  });

  it("checks listener protocol rules", () => {
    const tcp = issuesOf(makeConfig({ listeners: [makeListener({ protocol: "tcp" })] }));
    expect(tcp.map((i) => i.path)).toEqual(expect.arrayContaining(["listeners[0].tcp", "listeners[0].routeConfig"]));
    const https = issuesOf(makeConfig({ listeners: [makeListener({ protocol: "https" })] }));
    expect(https).toContainEqual({ path: "listeners[0].tls", message: "required when protocol is https" });
  });

  it("edge-security fields: optional (no default written, so hashes stay), checked, and refused on tcp", () => {
    const plain = validateConfig(makeConfig());
    expect(plain.ok && plain.config.listeners[0]!.pathNormalization).toBeUndefined();
    const set = validateConfig(makeConfig({ listeners: [makeListener({ pathNormalization: { escapedSlashes: "reject" }, trustedHops: 1, proxyProtocol: true })] }));
    expect(set.ok && set.config.listeners[0]!.pathNormalization).toEqual({ normalize: true, mergeSlashes: true, escapedSlashes: "reject" });
    const bad = issuesOf(makeConfig({ listeners: [makeListener({ pathNormalization: { escapedSlashes: "drop" as "keep" }, trustedHops: -1 })] }));
    expect(bad.map((i) => i.path)).toEqual(expect.arrayContaining(["listeners[0].pathNormalization.escapedSlashes", "listeners[0].trustedHops"]));
    const tcp = issuesOf(makeConfig({ listeners: [makeListener({ protocol: "tcp", routeConfig: undefined, tcp: { cluster: "users" }, trustedHops: 1, proxyProtocol: true, pathNormalization: {} })] }));
    expect(tcp.map((i) => i.path)).toEqual(expect.arrayContaining(["listeners[0].trustedHops", "listeners[0].proxyProtocol", "listeners[0].pathNormalization"]));
  });

  it("checks header matchers and paths", () => {
    const issues = issuesOf(withRoutes(makeRoute({ match: { prefix: "users", headers: [{ name: "x-a", exact: "1", present: true }] } })));
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(["routeConfigs[0].virtualHosts[0].routes[0].match.prefix", "routeConfigs[0].virtualHosts[0].routes[0].match.headers[0]"]),
    );
  });
});

describe("validateConfig: whole-snapshot consistency", () => {
  it("reports an unknown cluster with its JSON path", () => {
    const issues = issuesOf(withRoutes(makeRoute({ route: { cluster: "userz" } })));
    expect(issues).toEqual([{ path: "routeConfigs[0].virtualHosts[0].routes[0].route.cluster", message: 'unknown cluster "userz"' }]);
  });

  it("reports unknown route configs, weighted and mirror clusters, policies and secrets", () => {
    const config = makeConfig({
      listeners: [makeListener({ routeConfig: "nope" })],
      routeConfigs: [
        makeRouteConfig({
          virtualHosts: [
            makeVirtualHost({
              rateLimit: "missing-policy",
              routes: [makeRoute({ route: { weightedClusters: [{ cluster: "backend", weight: 1 }, { cluster: "ghost", weight: 1 }], mirror: [{ cluster: "shadow" }] } })],
            }),
          ],
        }),
      ],
      clusters: [makeCluster({ tls: { caSecret: "no-ca" } })],
    });
    const paths = issuesOf(config).map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "listeners[0].routeConfig",
        "routeConfigs[0].virtualHosts[0].rateLimit",
        "routeConfigs[0].virtualHosts[0].routes[0].route.weightedClusters[1].cluster",
        "routeConfigs[0].virtualHosts[0].routes[0].route.mirror[0].cluster",
        "clusters[0].tls.caSecret",
      ]),
    );
  });

  it("refuses duplicate names per kind, duplicate domains and route names", () => {
    const config = makeConfig({
      clusters: [makeCluster(), makeCluster()],
      routeConfigs: [
        makeRouteConfig({
          virtualHosts: [makeVirtualHost({ routes: [makeRoute(), makeRoute()] }), makeVirtualHost({ name: "other", domains: ["*"] })],
        }),
      ],
    });
    const issues = issuesOf(config);
    expect(issues).toContainEqual({ path: "clusters[1].name", message: 'duplicate name "backend" (also clusters[0])' });
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(["routeConfigs[0].virtualHosts[0].routes[1].name", "routeConfigs[0].virtualHosts[1].domains[0]"]),
    );
  });

  it("refuses regexes that do not compile", () => {
    const issues = issuesOf(withRoutes(makeRoute({ match: { regex: "/users/(" } })));
    expect(issues[0]!.path).toBe("routeConfigs[0].virtualHosts[0].routes[0].match.regex");
    expect(issues[0]!.message).toMatch(/^invalid regex/);
  });

  it("refuses weights summing to zero and listener port clashes", () => {
    const zero = issuesOf(withRoutes(makeRoute({ route: { weightedClusters: [{ cluster: "backend", weight: 0 }] } })));
    expect(zero[0]!.message).toBe("weights must sum to more than 0");
    const clash = issuesOf(makeConfig({ listeners: [makeListener(), makeListener({ name: "b", address: "0.0.0.0" })] }));
    expect(clash[0]!.path).toBe("listeners[1].port");
  });

  it("checks secret types", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----";
    const issues = issuesOf(
      makeConfig({
        listeners: [makeListener({ protocol: "https", tls: { certificates: ["ca"] } })],
        secrets: [{ name: "ca", type: "caBundle", certificate: pem }],
      }),
    );
    expect(issues).toContainEqual({ path: "listeners[0].tls.certificates[0]", message: 'secret "ca" is a caBundle, expected a tlsCertificate' });
  });

  it("parseConfig throws a ConfigValidationError carrying every issue", () => {
    try {
      parseConfig(withRoutes(makeRoute({ route: { cluster: "a" } }), makeRoute({ name: "b", route: { cluster: "b" } })));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigValidationError);
      expect((err as ConfigValidationError).issues).toHaveLength(2);
      expect((err as ConfigValidationError).message).toContain('route.cluster: unknown cluster "a"');
    }
  });
});

describe("regex safety (catastrophic backtracking guard)", () => {
  it("refuses nested and ambiguous repetition, backreferences, lookbehind and overlong sources; accepts ordinary route regexes", async () => {
    const { regexSafetyProblem } = await import("../src/regex-safety.ts");
    for (const bad of ["(a+)+$", "(a*)*", "(a|a)*", "(a|ab)+", "(a?a)*", "(.*a){12}", "(x\\d+)*y", "(a)\\1", "(?<n>a)\\k<n>", "(?<=a)b", "(?<!a)b", "a".repeat(1025)]) {
      expect(regexSafetyProblem(bad), bad).toBeDefined();
    }
    for (const good of ["/users/[0-9]+", "^/z.*", "(GET|POST)+", "^/api/v[0-9]+/users/[^/]+$", "(foo|bar)*", "(?:ab)+", "a{2,5}", "[(a+)+]", "\\(a+\\)+", "(?<name>[a-z]+)/x"]) {
      expect(regexSafetyProblem(good), good).toBeUndefined();
    }
  });
});

describe("validateEdit", () => {
  const base = parseConfig(
    makeConfig({
      routeConfigs: [makeRouteConfig({ virtualHosts: [makeVirtualHost({ routes: [makeRoute({ name: "a" }), makeRoute({ name: "b", match: { prefix: "/b" } })] })] })],
    }),
  );
  const withRoutes = (routes: unknown[]) =>
    ({ ...base, routeConfigs: [{ ...base.routeConfigs[0]!, virtualHosts: [{ ...base.routeConfigs[0]!.virtualHosts[0]!, routes }] }] }) as TConfig;

  it("answers what validateConfig answers, keeping the unchanged resources as they are", () => {
    const next = withRoutes([...base.routeConfigs[0]!.virtualHosts[0]!.routes, { name: "c", match: { prefix: "/c" }, directResponse: { status: 204 } }]);
    const edited = validateEdit(base, next);
    const whole = validateConfig(next);
    expect(edited.ok && whole.ok).toBe(true);
    if (!edited.ok || !whole.ok) return;
    expect(edited.config).toEqual(whole.config);
    // Defaults of the new route are filled; the old routes are the same objects.
    expect(edited.config.routeConfigs[0]!.virtualHosts[0]!.routes[2]!.directResponse?.contentType).toBe("text/plain");
    expect(edited.config.routeConfigs[0]!.virtualHosts[0]!.routes[0]).toBe(base.routeConfigs[0]!.virtualHosts[0]!.routes[0]);
    expect(edited.config.clusters[0]).toBe(base.clusters[0]);
  });

  it("reports schema issues of a changed resource at their path in the whole config, and consistency issues", () => {
    const bad = validateEdit(base, withRoutes([base.routeConfigs[0]!.virtualHosts[0]!.routes[0], { name: "c", match: { prefix: "c" }, directResponse: { status: 204 }, extra: 1 }]));
    expect(bad).toEqual({
      ok: false,
      issues: expect.arrayContaining([
        { path: "routeConfigs[0].virtualHosts[0].routes[1].match.prefix", message: expect.stringContaining("/") },
        { path: "routeConfigs[0].virtualHosts[0].routes[1].extra", message: 'unknown field "extra"' },
      ]),
    });
    const unknown = validateEdit(base, withRoutes([{ name: "c", match: { prefix: "/c" }, route: { cluster: "userz" } }]));
    expect(unknown).toEqual({ ok: false, issues: [{ path: "routeConfigs[0].virtualHosts[0].routes[0].route.cluster", message: 'unknown cluster "userz"' }] });
  });
});
