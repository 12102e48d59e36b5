import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { importEnvoyBootstrap, validateConfig } from "../src/index.ts";

/** Shaped after Envoy's front-proxy sandbox (examples/front-proxy/envoy.yaml), plus the fields a real one carries. */
const FRONT_PROXY = `
admin:
  address: { socket_address: { address: 0.0.0.0, port_value: 8001 } }
static_resources:
  listeners:
  - name: listener_0
    address:
      socket_address: { address: 0.0.0.0, port_value: 8080 }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          codec_type: AUTO
          stat_prefix: ingress_http
          route_config:
            name: local_route
            virtual_hosts:
            - name: backend
              domains: ["*"]
              routes:
              - match: { prefix: "/service/1" }
                route: { cluster: service1, timeout: 2.5s, retry_policy: { retry_on: "5xx,connect-failure,cancelled", num_retries: 2, per_try_timeout: 0.5s } }
              - match: { safe_regex: { google_re2: {}, regex: "/service/2/[0-9]+" } }
                route: { prefix_rewrite: /v2/, weighted_clusters: { clusters: [ { name: service1, weight: 10 }, { name: service2, weight: 90 } ] } }
              - match: { path: "/old" }
                redirect: { path_redirect: /new, response_code: PERMANENT_REDIRECT }
              - match: { path: "/healthz" }
                direct_response: { status: 200, body: { inline_string: ok } }
          http_filters:
          - name: envoy.filters.http.gzip
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
  - name: service1
    type: STRICT_DNS
    lb_policy: ROUND_ROBIN
    connect_timeout: 0.25s
    load_assignment:
      cluster_name: service1
      endpoints:
      - lb_endpoints:
        - endpoint: { address: { socket_address: { address: service1, port_value: 8000 } } }
    health_checks:
    - timeout: 1s
      interval: 10s
      unhealthy_threshold: 2
      healthy_threshold: { value: 1 }
      http_health_check: { path: /health }
  - name: service2
    type: STATIC
    lb_policy: LEAST_REQUEST
    circuit_breakers: { thresholds: [ { max_connections: 100 } ] }
    load_assignment:
      cluster_name: service2
      endpoints:
      - lb_endpoints:
        - endpoint: { address: { socket_address: { address: 10.0.0.7, port_value: 8000 } } }
          load_balancing_weight: 3
        - endpoint: { address: { socket_address: { address: 10.0.0.8, port_value: 8000 } } }
  - name: xds_cluster
    type: EDS
    eds_cluster_config: { eds_config: { ads: {} } }
`;

describe("importEnvoyBootstrap", () => {
  const { config, unmapped } = importEnvoyBootstrap(parse(FRONT_PROXY));

  it("maps the front proxy's listener, routes and clusters to a valid config", () => {
    const result = validateConfig(config);
    expect(result.ok ? [] : result.issues).toEqual([]);
    if (!result.ok) return;
    const c = result.config;
    expect(c.listeners.map((l) => [l.name, l.address, l.port, l.protocol, l.routeConfig])).toEqual([["listener_0", "0.0.0.0", 8080, "http", "local_route"]]);
    const vh = c.routeConfigs[0]!.virtualHosts[0]!;
    expect([c.routeConfigs[0]!.name, vh.name, vh.domains]).toEqual(["local_route", "backend", ["*"]]);
    expect(vh.routes.map((r) => ({ name: r.name, match: { prefix: r.match.prefix, path: r.match.path, regex: r.match.regex } }))).toEqual([
      { name: "backend-0", match: { prefix: "/service/1", path: undefined, regex: undefined } },
      { name: "backend-1", match: { prefix: undefined, path: undefined, regex: "/service/2/[0-9]+" } },
      { name: "backend-2", match: { prefix: undefined, path: "/old", regex: undefined } },
      { name: "backend-3", match: { prefix: undefined, path: "/healthz", regex: undefined } },
    ]);
    expect(vh.routes[0]!.route).toMatchObject({ cluster: "service1", timeoutMs: 2500, retryPolicy: { retryOn: ["5xx", "connect-failure"], numRetries: 2, perTryTimeoutMs: 500 } });
    expect(vh.routes[1]!.route).toMatchObject({ prefixRewrite: "/v2/", weightedClusters: [{ cluster: "service1", weight: 10 }, { cluster: "service2", weight: 90 }] });
    expect(vh.routes[2]!.redirect).toMatchObject({ pathRedirect: "/new", responseCode: 308 });
    expect(vh.routes[3]!.directResponse).toEqual({ status: 200, body: "ok", contentType: "text/plain" });
    expect(c.clusters.map((cl) => [cl.name, cl.discovery, cl.lbPolicy, cl.connectTimeoutMs, cl.endpoints.map((e) => `${e.address}:${e.port}/${e.weight}`)])).toEqual([
      ["service1", "strictDns", "roundRobin", 250, ["service1:8000/1"]],
      ["service2", "static", "leastRequest", 5000, ["10.0.0.7:8000/3", "10.0.0.8:8000/1"]],
    ]);
    expect(c.clusters[0]!.healthCheck).toMatchObject({ type: "http", path: "/health", timeoutMs: 1000, intervalMs: 10_000, unhealthyThreshold: 2, healthyThreshold: 1 });
  });

  it("reports every field it could not map, with its path in the bootstrap", () => {
    expect(unmapped).toEqual([
      { path: "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.retry_policy.retry_on", message: 'retry condition "cancelled" is not supported' },
      { path: "static_resources.clusters[2].type", message: "cluster type EDS is not imported (STATIC, STRICT_DNS, LOGICAL_DNS are)" },
      { path: "admin", message: "not mapped" },
      { path: "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.codec_type", message: "not mapped" },
      { path: "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0]", message: "not mapped" },
      { path: "static_resources.clusters[1].circuit_breakers", message: "not mapped" },
      { path: "static_resources.clusters[2].eds_cluster_config", message: "not mapped" },
    ]);
  });

  it("refuses what is not a bootstrap", () => {
    expect(importEnvoyBootstrap("nope").unmapped).toEqual([{ path: "", message: "not an Envoy bootstrap (expected an object)" }]);
  });
});

describe("importEnvoyBootstrap: the HTTP filters Switchyard has built in", () => {
  const doc = parse(`
static_resources:
  listeners:
  - name: edge
    address: { socket_address: { address: 0.0.0.0, port_value: 8080 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          route_config: { name: r, virtual_hosts: [ { name: all, domains: ["*"], routes: [ { match: { prefix: / }, direct_response: { status: 200 } } ] } ] }
          http_filters:
          - name: authz
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
              http_service:
                server_uri: { uri: "http://authz:9000", cluster: authz, timeout: 0.5s }
                path_prefix: /check
                authorization_request: { allowed_headers: { patterns: [ { exact: Cookie }, { prefix: x-b3 } ] } }
                authorization_response: { allowed_upstream_headers: { patterns: [ { exact: x-user } ] } }
              failure_mode_allow: true
              with_request_body: { max_request_bytes: 4096, allow_partial_message: true }
          - name: envoy.filters.http.fault
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
              delay: { fixed_delay: 2s, percentage: { numerator: 500, denominator: TEN_THOUSAND } }
              abort: { http_status: 503, percentage: { numerator: 1 }, header_abort: {} }
          - name: gzip
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.compressor.v3.Compressor
              response_direction_config: { common_config: { min_content_length: 100, content_type: [application/json] } }
              compressor_library: { name: gzip, typed_config: { "@type": type.googleapis.com/envoy.extensions.compression.gzip.compressor.v3.Gzip, memory_level: 3 } }
          - name: br
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.compressor.v3.Compressor
              compressor_library: { name: br, typed_config: { "@type": type.googleapis.com/envoy.extensions.compression.brotli.compressor.v3.Brotli } }
          - name: envoy.filters.http.grpc_web
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb }
          - name: envoy.filters.http.buffer
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer, max_request_bytes: 65536 }
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
`);

  it("maps ext_authz (HTTP), fault, compressors (merged), grpc_web and buffer to valid filters; reports what it could not map", () => {
    const { config, unmapped } = importEnvoyBootstrap(doc);
    const v = validateConfig(config);
    expect(v.ok ? [] : v.issues).toEqual([]);
    expect((config as { listeners: { httpFilters: unknown[] }[] }).listeners[0]!.httpFilters).toEqual([
      {
        type: "extAuthz",
        url: "http://authz:9000/check",
        timeoutMs: 500,
        allowedHeaders: ["cookie"],
        allowedUpstreamHeaders: ["x-user"],
        failOpen: true,
        withRequestBody: { maxRequestBytes: 4096, allowPartialMessage: true },
      },
      { type: "fault", delay: { fixedDelayMs: 2000, percentage: 5 }, abort: { httpStatus: 503, percentage: 1 }, headerControl: true },
      { type: "compression", algorithms: ["gzip", "br"], minContentLength: 100, contentTypes: ["application/json"] },
      { type: "grpcWeb" },
      { type: "bufferLimits", maxRequestBytes: 65536 },
    ]);
    const at = "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters";
    expect(unmapped).toEqual([{ path: `${at}[0].typed_config.http_service.authorization_request.allowed_headers.patterns[1]`, message: "only exact header names are imported" }]);
  });
});
