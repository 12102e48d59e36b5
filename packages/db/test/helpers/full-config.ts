import type { TConfigInput } from "@switchyard/config-model";
import { makeCluster, makeConfig, makeListener, makeRoute, makeRouteConfig, makeVirtualHost } from "@switchyard/config-model/testing";

const PEM_CERT = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
const PEM_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEfake\n-----END PRIVATE KEY-----\n";

/** A config using every kind of resource and most optional parts, with routes in a deliberate order. */
export function fullConfig(): TConfigInput {
  return makeConfig({
    listeners: [
      makeListener({
        name: "public",
        port: 8080,
        httpFilters: [
          { type: "cors", allowOrigins: ["https://app.example.com"] },
          { type: "rbac", rules: [{ allow: true, paths: ["/"] }] },
        ],
        limits: { maxHeaderBytes: 32768 },
        tracing: { sampleRate: 0.25, forceHeader: "x-trace" },
        accessLog: { format: "%METHOD% %PATH% %STATUS%", sampleRate: 0.5 },
      }),
      makeListener({ name: "secure", port: 8443, protocol: "https", tls: { certificates: ["site-cert"], clientValidation: { caSecret: "mesh-ca" } } }),
      makeListener({ name: "db", port: 5433, protocol: "tcp", routeConfig: undefined, tcp: { cluster: "backend" } }),
    ],
    routeConfigs: [
      makeRouteConfig({
        name: "main",
        virtualHosts: [
          makeVirtualHost({
            name: "api",
            domains: ["api.example.com", "*.example.com"],
            rateLimit: "per-ip",
            requestHeaders: { add: [{ name: "x-env", value: "prod" }], remove: ["x-debug"] },
            routes: [
              makeRoute({
                name: "users",
                match: { prefix: "/users", methods: ["GET", "POST"], headers: [{ name: "x-canary", exact: "1" }], query: [{ name: "debug", present: true }] },
                route: {
                  weightedClusters: [
                    { cluster: "backend", weight: 90 },
                    { cluster: "shadow", weight: 10 },
                  ],
                  prefixRewrite: "/",
                  retryPolicy: { retryOn: ["5xx", "reset"], numRetries: 2 },
                  mirror: [{ cluster: "shadow", fraction: 0.1 }],
                  hashPolicy: [{ header: "x-user" }],
                  rateLimit: "per-ip",
                },
                responseHeaders: { remove: ["server"] },
              }),
              makeRoute({ name: "legacy", match: { prefix: "/old" }, route: undefined, redirect: { pathRedirect: "/new", responseCode: 308 } }),
              makeRoute({ name: "ping", match: { path: "/healthz" }, route: undefined, directResponse: { status: 200, body: "ok" } }),
              makeRoute({ name: "z-last", match: { regex: "^/z.*" } }),
              makeRoute({ name: "a-catch-all", match: { prefix: "/" } }),
            ],
          }),
          makeVirtualHost({ name: "fallback", domains: ["*"], routes: [makeRoute({ name: "all", route: { cluster: "shadow" } })] }),
        ],
      }),
      makeRouteConfig({ name: "empty", virtualHosts: [] }),
    ],
    clusters: [
      makeCluster({
        name: "backend",
        endpoints: [
          { address: "127.0.0.1", port: 9001, weight: 3 },
          { address: "127.0.0.2", port: 9002 },
        ],
        lbPolicy: "leastRequest",
        // Non-default traffic-management fields (issue #3) must survive the tables too.
        panicThresholdPercent: 30,
        ringHashMinimumRingSize: 2048,
        tls: { sni: "backend.internal", caSecret: "mesh-ca", clientCertificate: "site-cert" },
        healthCheck: { path: "/health", expectedStatuses: [[200, 399]] },
        outlierDetection: { consecutive5xx: 3 },
        circuitBreakers: { maxRequests: 10 },
      }),
      makeCluster({ name: "shadow", discovery: "strictDns", endpoints: [{ address: "shadow.internal", port: 80 }], dnsResolvers: ["127.0.0.1:5353"] }),
      makeCluster({ name: "k8s", discovery: "kubernetes", endpoints: [], kubernetes: { service: "users", port: "http" } }),
    ],
    secrets: [
      { name: "site-cert", type: "tlsCertificate", certificate: PEM_CERT, privateKey: PEM_KEY },
      { name: "mesh-ca", type: "caBundle", certificate: PEM_CERT },
    ],
    rateLimitPolicies: [
      { name: "per-ip", requests: 100, burst: 200 },
      { name: "per-key", scope: "global", requests: 10, per: "minute", key: { header: "x-api-key" }, failOpen: false },
    ],
  });
}
