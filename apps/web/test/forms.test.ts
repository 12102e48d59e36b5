/**
 * The structured route and cluster forms: every field of the config model survives a
 * round trip (stored object -> form -> object), defaults come from the schemas, and the
 * browser-side check reports the same paths the server would.
 */
import { ZCluster, ZRoute } from "@switchyard/config-model";
import { describe, expect, it } from "vitest";
import { buildCluster, checkCluster, clusterFormOf, CLUSTER_DEFAULTS, emptyClusterForm } from "../src/lib/cluster-form.ts";
import { buildRoute, checkRoute, emptyRouteForm, matcherRow, ROUTE_DEFAULTS, routeFormOf } from "../src/lib/route-form.ts";

const place = { routeConfig: "main", virtualHost: "all", domains: ["*"] };

describe("route form", () => {
  it("round-trips every field of a full route", () => {
    const route = ZRoute.parse({
      name: "users",
      match: {
        prefix: "/users",
        caseSensitive: false,
        methods: ["GET"],
        headers: [{ name: "x-canary", exact: "1" }, { name: "x-debug", present: true, invert: true }],
        query: [{ name: "v", regex: "[0-9]+" }],
      },
      route: {
        weightedClusters: [{ cluster: "a", weight: 9 }, { cluster: "b", weight: 1 }],
        prefixRewrite: "/",
        hostRewrite: "users.internal",
        timeoutMs: 2000,
        idleTimeoutMs: 100,
        allowUpgrade: true,
        upgradeIdleTimeoutMs: 5,
        retryPolicy: { retryOn: ["5xx", "retriable-status-codes"], numRetries: 3, perTryTimeoutMs: 500, backoff: { baseMs: 10, maxMs: 100 }, retriableStatusCodes: [503, 504], maxBufferBytes: 4096 },
        mirror: [{ cluster: "shadow", fraction: 0.1 }],
        hashPolicy: [{ header: "x-user" }, { cookie: "sid" }, { sourceIp: true }],
        rateLimit: "per-ip",
      },
      requestHeaders: { add: [{ name: "x-env", value: "prod", append: true }], remove: ["x-debug"] },
      responseHeaders: { add: [], remove: ["server"] },
      filterOverrides: { auth: { disabled: true }, cors: { config: { allowOrigins: ["https://b.example"] } } },
    });
    expect(ZRoute.parse(buildRoute(routeFormOf(place, route)))).toEqual(route);
  });

  it("round-trips redirects and direct responses", () => {
    const redirect = ZRoute.parse({ name: "r", match: { path: "/old" }, redirect: { hostRedirect: "h", portRedirect: 8443, prefixRewrite: "/n", responseCode: 308, httpsRedirect: true, stripQuery: true } });
    expect(ZRoute.parse(buildRoute(routeFormOf(place, redirect)))).toEqual(redirect);
    const direct = ZRoute.parse({ name: "d", match: { regex: "/x.*" }, directResponse: { status: 418, body: "tea", contentType: "text/html" } });
    expect(ZRoute.parse(buildRoute(routeFormOf(place, direct)))).toEqual(direct);
  });

  it("shows the schema's defaults and leaves empty fields to them", () => {
    expect(ROUTE_DEFAULTS.action.timeoutMs).toBe(15_000);
    expect(ROUTE_DEFAULTS.retry.numRetries).toBe(1);
    expect(ROUTE_DEFAULTS.retry.backoff).toEqual({ baseMs: 25, maxMs: 250 });
    expect(ROUTE_DEFAULTS.retry.maxBufferBytes).toBe(1_048_576);
    const form = { ...emptyRouteForm({ cluster: "a" }), name: "n", retryEnabled: true };
    const parsed = ZRoute.parse(buildRoute(form));
    expect(parsed.route?.timeoutMs).toBe(15_000);
    expect(parsed.route?.retryPolicy).toEqual({ retryOn: ["5xx"], numRetries: 1, perTryTimeoutMs: 0, backoff: { baseMs: 25, maxMs: 250 }, retriableStatusCodes: [], maxBufferBytes: 1_048_576 });
  });

  it("reports schema issues at the row and field they belong to", () => {
    const form = { ...emptyRouteForm({ cluster: "a" }), name: "n", headers: [{ ...matcherRow(), name: "Bad Header", value: "1" }], retryEnabled: true, retryOn: [], numRetries: "11", maxBufferBytes: "-1" };
    const issues = checkRoute(buildRoute(form));
    const fields = issues.map((i) => i.field);
    expect(fields).toContain("match.headers[0].name");
    expect(fields).toContain("route.retryPolicy.retryOn");
    expect(fields).toContain("route.retryPolicy.numRetries");
    expect(fields).toContain("route.retryPolicy.maxBufferBytes");
  });
});

describe("cluster form", () => {
  it("round-trips every field of a full cluster", () => {
    const cluster = ZCluster.parse({
      name: "users",
      discovery: "strictDns",
      endpoints: [{ address: "users.internal", port: 9000, weight: 2 }],
      dnsResolvers: ["127.0.0.1:5353"],
      dnsRefreshMs: 1000,
      lbPolicy: "maglev",
      protocol: "http2",
      connectTimeoutMs: 100,
      idleTimeoutMs: 200,
      panicThresholdPercent: 0,
      ringHashMinimumRingSize: 4096,
      tls: { sni: "users.internal", caSecret: "mesh-ca", clientCertificate: "proxy-cert" },
      healthCheck: { type: "http", path: "/health", host: "h", intervalMs: 1000, intervalJitterMs: 10, timeoutMs: 50, unhealthyThreshold: 2, healthyThreshold: 1, expectedStatuses: [[200, 399], [404, 404]] },
      outlierDetection: { consecutive5xx: 3, consecutiveGatewayFailure: 2, intervalMs: 500, baseEjectionTimeMs: 100, maxEjectionTimeMs: 1000, maxEjectionPercent: 50 },
      circuitBreakers: { maxConnections: 1, maxPendingRequests: 2, maxRequests: 3, maxRetries: 0 },
    });
    expect(ZCluster.parse(buildCluster(clusterFormOf(cluster)))).toEqual(cluster);
    const k8s = ZCluster.parse({ name: "k", discovery: "kubernetes", kubernetes: { namespace: "prod", service: "users", port: 8080 } });
    expect(ZCluster.parse(buildCluster(clusterFormOf(k8s)))).toEqual(k8s);
    const consul = ZCluster.parse({ name: "c", discovery: "consul", consul: { service: "users", tag: "v1", datacenter: "dc1", address: "http://127.0.0.1:8500" } });
    expect(ZCluster.parse(buildCluster(clusterFormOf(consul)))).toEqual(consul);
  });

  it("defaults come from the schema; enabled sections with empty fields get them", () => {
    expect(CLUSTER_DEFAULTS.cluster.connectTimeoutMs).toBe(5000);
    expect(CLUSTER_DEFAULTS.healthCheck.expectedStatuses).toEqual([[200, 200]]);
    expect(CLUSTER_DEFAULTS.cluster.panicThresholdPercent).toBe(50);
    expect(CLUSTER_DEFAULTS.cluster.ringHashMinimumRingSize).toBe(1024);
    const form = { ...emptyClusterForm(), name: "c", healthCheckEnabled: true, outlierEnabled: true, breakersEnabled: true };
    form.endpoints = [{ ...form.endpoints[0]!, port: "80" }];
    const parsed = ZCluster.parse(buildCluster(form));
    expect(parsed.healthCheck).toEqual(CLUSTER_DEFAULTS.healthCheck);
    expect(parsed.outlierDetection).toEqual(CLUSTER_DEFAULTS.outlier);
    expect(parsed.circuitBreakers).toEqual(CLUSTER_DEFAULTS.breakers);
    expect(parsed.panicThresholdPercent).toBe(50);
    expect(parsed.ringHashMinimumRingSize).toBe(1024);
  });

  it("reports issues by field: a bad status range, a missing kubernetes service, a panic threshold over 100", () => {
    const form = { ...emptyClusterForm(), name: "c", discovery: "kubernetes" as const, healthCheckEnabled: true, panicThresholdPercent: "101" };
    form.healthCheck = { ...form.healthCheck, expectedStatuses: "399-200" };
    const fields = checkCluster(buildCluster(form)).map((i) => i.field);
    expect(fields).toContain("kubernetes.service");
    expect(fields).toContain("panicThresholdPercent");
    expect(fields.some((f) => f?.startsWith("healthCheck.expectedStatuses"))).toBe(true);
  });
});
