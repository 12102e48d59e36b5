import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import { PROXY_VERSION } from "../version.ts";
import { RequestStats } from "./request-stats.ts";

/**
 * Every Prometheus metric of the proxy, declared in this one file (DESIGN §4 names,
 * prefix `switchyard_`). Labels are resource names from the config, never raw paths, so
 * cardinality is bounded by the config. Per-request updates go through `recordRequest`,
 * which updates plain counters (request-stats.ts) with no label hashing.
 */

/** Cluster gauges are computed at scrape time from this source, not on the request path. */
export type TClusterStatsSource = () => Iterable<{
  readonly name: string;
  readonly endpoints: readonly unknown[];
  readonly activeRequests: number;
  readonly pendingRequests: number;
  connections(): number;
  /** Endpoints in the balancer: healthy and not ejected. */
  availableCount(): number;
  ejectedCount(): number;
}>;



export type TMetrics = ReturnType<typeof createMetrics>;

export function createMetrics(clusters: TClusterStatsSource) {
  const registry = new Registry();
  // prom-client's process and event-loop metrics (process_*, nodejs_*: CPU, memory, fds,
  // event-loop lag, GC); with --workers they are merged like every series (sums).
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: "switchyard_build_info",
    help: "1, labelled with the software version and the Node.js it runs on",
    labelNames: ["component", "version", "node_version"] as const,
    registers: [registry],
    aggregator: "max",
  }).set({ component: "proxy", version: PROXY_VERSION, node_version: process.version }, 1);

  // Per-request series: plain numbers, exposed through the registry (request-stats.ts says why).
  const requestStats = new RequestStats([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
  for (const m of requestStats.metrics({
    requests: { name: "switchyard_http_requests_total", help: "Downstream HTTP requests by listener, route, cluster and status class" },
    duration: { name: "switchyard_http_request_duration_seconds", help: "Downstream request duration, first byte in to last byte out" },
  }))
    registry.registerMetric(m);
  const upstreamRetries = new Counter({
    name: "switchyard_upstream_rq_retry_total",
    help: "Upstream request retries (tries after the first)",
    labelNames: ["cluster"] as const,
    registers: [registry],
  });
  const pendingOverflow = new Counter({
    name: "switchyard_upstream_rq_pending_overflow_total",
    help: "Requests refused by a circuit breaker (maxRequests / maxPendingRequests) with 503 UO",
    labelNames: ["cluster"] as const,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: "switchyard_ratelimit_limited_total",
    help: "Requests refused by a rate-limit policy with 429 RL",
    labelNames: ["policy"] as const,
    registers: [registry],
  });
  // Envoy's downstream_rq_failed_path_normalization / downstream_rq_redirected_with_normalized_path.
  const pathRefused = new Counter({
    name: "switchyard_path_normalization_total",
    help: "Requests answered at the request entry: refused (400, unreadable target) or redirected (307, escaped slashes)",
    labelNames: ["listener", "result"] as const,
    registers: [registry],
  });
  // ---- traffic management (issue #3): retries, breakers, health, outlier, mirrors, Redis
  const retryOverflow = new Counter({
    name: "switchyard_upstream_rq_retry_overflow_total",
    help: "Retries not attempted because the cluster's maxRetries breaker was full",
    labelNames: ["cluster"] as const,
    registers: [registry],
  });
  const healthTransitions = new Counter({
    name: "switchyard_health_check_transitions_total",
    help: "Endpoint health state changes from active health checks, by new state",
    labelNames: ["cluster", "to"] as const,
    registers: [registry],
  });
  const outlierEjections = new Counter({
    name: "switchyard_outlier_ejections_total",
    help: "Endpoints ejected by outlier detection",
    labelNames: ["cluster"] as const,
    registers: [registry],
  });
  const mirrors = new Counter({
    name: "switchyard_upstream_rq_mirror_total",
    help: "Mirrored (shadow) requests by result: sent (answered < 500), failed, skipped (breaker, no endpoint, body too big)",
    labelNames: ["cluster", "result"] as const,
    registers: [registry],
  });
  const redisErrors = new Counter({
    name: "switchyard_ratelimit_redis_errors_total",
    help: "Global rate-limit checks Redis could not answer (the request was allowed when the policy fails open)",
    labelNames: ["policy"] as const,
    registers: [registry],
  });
  new Gauge({
    name: "switchyard_upstream_rq_active",
    help: "Upstream requests in flight per cluster (circuit breaker maxRequests counts these)",
    labelNames: ["cluster"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of clusters()) this.set({ cluster: c.name }, c.activeRequests);
    },
  });
  new Gauge({
    name: "switchyard_upstream_rq_pending_active",
    help: "Upstream requests waiting for a connection per cluster (maxPendingRequests counts these)",
    labelNames: ["cluster"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of clusters()) this.set({ cluster: c.name }, c.pendingRequests);
    },
  });

  const configVersion = new Gauge({
    name: "switchyard_config_version",
    help: "Version of the applied config (-1 before any)",
    // --workers N: the primary's own value is the version every worker applied; never a sum.
    aggregator: "max",
    registers: [registry],
  });
  configVersion.set(-1);
  const configApply = new Counter({
    name: "switchyard_config_apply_total",
    help: "Config apply attempts by result (applied | rejected)",
    // --workers N: the primary counts each version once; workers count their own applies too.
    aggregator: "max",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  configApply.inc({ result: "applied" }, 0);
  configApply.inc({ result: "rejected" }, 0);

  // Cluster gauges: collected at scrape time from the applied clusters.
  new Gauge({
    name: "switchyard_upstream_cx_active",
    help: "Open upstream connections per cluster",
    labelNames: ["cluster"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of clusters()) this.set({ cluster: c.name }, c.connections());
    },
  });
  new Gauge({
    name: "switchyard_cluster_membership_healthy",
    help: "Endpoints in the balancer per cluster: passing health checks (all, without checks) and not ejected",
    // --workers N: every worker holds the state owner's verdicts (one may learn of one a
    // moment later); merged as the worst view (min), never a sum over copies of the endpoints.
    aggregator: "min",
    labelNames: ["cluster"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of clusters()) this.set({ cluster: c.name }, c.availableCount());
    },
  });
  new Gauge({
    name: "switchyard_outlier_ejections_active",
    help: "Endpoints ejected by outlier detection per cluster",
    // --workers N: the state owner ejects, every worker holds it; merged by max, not summed.
    aggregator: "max",
    labelNames: ["cluster"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of clusters()) this.set({ cluster: c.name }, c.ejectedCount());
    },
  });

  // Issue #4: TCP proxy and WebSocket (HTTP/1.1 Upgrade) tunnels.
  const tcpConnections = new Counter({
    name: "switchyard_tcp_connections_total",
    help: "Downstream connections accepted by tcp listeners",
    labelNames: ["listener", "cluster"] as const,
    registers: [registry],
  });
  const tcpActive = new Gauge({
    name: "switchyard_tcp_connections_active",
    help: "Open tcp proxy connections",
    labelNames: ["listener", "cluster"] as const,
    registers: [registry],
  });
  const tcpBytes = new Counter({
    name: "switchyard_tcp_bytes_total",
    help: "Bytes proxied by tcp listeners; direction rx = from the client, tx = to the client",
    labelNames: ["listener", "cluster", "direction"] as const,
    registers: [registry],
  });
  const tcpFailures = new Counter({
    name: "switchyard_tcp_connect_failures_total",
    help: "tcp proxy connections that could not reach an upstream (UF: refused or connect timeout, UH: no endpoint)",
    labelNames: ["listener", "cluster"] as const,
    registers: [registry],
  });
  // Issue #14: network filters on tcp listeners.
  const tcpRefused = new Counter({
    name: "switchyard_tcp_connections_refused_total",
    help: "tcp listener connections closed by a network filter before an upstream was dialled (rbac deny, sniRouter without a route, hello timeout), by the filter that closed them",
    labelNames: ["listener", "filter"] as const,
    registers: [registry],
  });
  const sniHello = new Counter({
    name: "switchyard_sni_hello_total",
    help: "ClientHellos read by sniRouter filters, by result: sni | noSni | notTls (first bytes not TLS) | malformed | tooLarge | timeout",
    labelNames: ["listener", "result"] as const,
    registers: [registry],
  });
  const sniRouted = new Counter({
    name: "switchyard_sni_routed_total",
    help: "Connections a sniRouter sent to a cluster, by route name ((default) = defaultCluster)",
    labelNames: ["listener", "route"] as const,
    registers: [registry],
  });
  const upgrades = new Counter({
    name: "switchyard_upgrades_total",
    help: "HTTP/1.1 Upgrade (WebSocket) requests by result: upgraded (101 from upstream), rejected (upstream answered otherwise), refused (route does not allow upgrades), failed (upstream unreachable)",
    labelNames: ["listener", "route", "cluster", "result"] as const,
    registers: [registry],
  });
  const upgradesActive = new Gauge({
    name: "switchyard_upgrades_active",
    help: "Open upgraded (WebSocket) tunnels",
    labelNames: ["listener"] as const,
    registers: [registry],
  });
  const upgradeBytes = new Counter({
    name: "switchyard_upgrade_bytes_total",
    help: "Bytes through upgraded tunnels; direction rx = from the client, tx = to the client",
    labelNames: ["listener", "direction"] as const,
    registers: [registry],
  });
  // Issue #8: service discovery.
  const discoveryResults = new Counter({
    name: "switchyard_discovery_total",
    help: "Service discovery answers per cluster (strictDns, logicalDns, eds, kubernetes, consul) by result: update | failure (last endpoints kept)",
    labelNames: ["cluster", "discovery", "result"] as const,
    registers: [registry],
  });
  const telemetryDropped = new Counter({
    name: "switchyard_telemetry_dropped_total",
    help: "Telemetry items dropped before reaching the console or the OTLP collector (kind: stats_window | span | health_event)",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  for (const kind of ["stats_window", "span", "health_event"]) telemetryDropped.inc({ kind }, 0);

  const filterErrors = new Counter({
    name: "switchyard_filter_errors_total",
    help: "Requests failed with 500 FE because a filter's phase threw or rejected, by filter name",
    labelNames: ["filter"] as const,
    registers: [registry],
  });

  const pluginCounters = new Counter({
    name: "switchyard_plugin_counter_total",
    help: "Counters plugins keep with ctx.counter(name).inc(), by filter name and counter",
    labelNames: ["filter", "counter"] as const,
    registers: [registry],
  });

  return {
    registry,
    /** One finished downstream request. status 0 (client gone before a response) counts as 5xx-free: it is not counted by class. */
    recordRequest(listener: string, route: string, cluster: string, status: number, seconds: number): void {
      requestStats.record(requestStats.series(listener, route, cluster), status, seconds);
    },
    /** Makes sure a cluster's zero-valued series exist once it is configured. */
    touchCluster(cluster: string): void {
      upstreamRetries.inc({ cluster }, 0);
      pendingOverflow.inc({ cluster }, 0);
      retryOverflow.inc({ cluster }, 0);
      outlierEjections.inc({ cluster }, 0);
    },
    /** Ensures a policy's series exist once it is configured. */
    touchPolicy(policy: string): void {
      rateLimited.inc({ policy }, 0);
      redisErrors.inc({ policy }, 0);
    },
    retry: (cluster: string): void => upstreamRetries.inc({ cluster }),
    retryOverflow: (cluster: string): void => retryOverflow.inc({ cluster }),
    overflow: (cluster: string): void => pendingOverflow.inc({ cluster }),
    rateLimited: (policy: string): void => rateLimited.inc({ policy }),
    filterError: (filter: string): void => filterErrors.inc({ filter }),
    pluginCounter: (filter: string, counter: string, by: number): void => pluginCounters.inc({ filter, counter }, by),
    pathRefused: (listener: string, result: "refused" | "redirected"): void => pathRefused.inc({ listener, result }),
    redisError: (policy: string): void => redisErrors.inc({ policy }),
    mirror: (cluster: string, result: "sent" | "failed" | "skipped"): void => mirrors.inc({ cluster, result }),
    healthTransition: (cluster: string, to: "healthy" | "unhealthy"): void => healthTransitions.inc({ cluster, to }),
    outlierEjected: (cluster: string, _endpoint: string, ejected: boolean): void => {
      if (ejected) outlierEjections.inc({ cluster });
    },
    tcpConnectionOpened(listener: string, cluster: string): void {
      tcpConnections.inc({ listener, cluster });
      tcpActive.inc({ listener, cluster });
    },
    tcpConnectionClosed(listener: string, cluster: string, bytesIn: number, bytesOut: number, flag: string): void {
      tcpActive.dec({ listener, cluster });
      tcpBytes.inc({ listener, cluster, direction: "rx" }, bytesIn);
      tcpBytes.inc({ listener, cluster, direction: "tx" }, bytesOut);
      if (flag === "UF" || flag === "UH") tcpFailures.inc({ listener, cluster });
    },
    tcpRefused: (listener: string, filter: string): void => tcpRefused.inc({ listener, filter }),
    sniHello: (listener: string, result: string): void => sniHello.inc({ listener, result }),
    sniRouted: (listener: string, route: string): void => sniRouted.inc({ listener, route }),
    upgradeResult(listener: string, route: string, cluster: string, result: "upgraded" | "rejected" | "refused" | "failed"): void {
      upgrades.inc({ listener, route, cluster, result });
    },
    upgradeOpened(listener: string): void {
      upgradesActive.inc({ listener });
    },
    upgradeClosed(listener: string, bytesIn: number, bytesOut: number): void {
      upgradesActive.dec({ listener });
      upgradeBytes.inc({ listener, direction: "rx" }, bytesIn);
      upgradeBytes.inc({ listener, direction: "tx" }, bytesOut);
    },
    configApplied(version: number | null): void {
      configApply.inc({ result: "applied" });
      if (version !== null) configVersion.set(version);
    },
    discovery(cluster: string, discovery: string, result: "update" | "failure"): void {
      discoveryResults.inc({ cluster, discovery, result });
    },
    configRejected(): void {
      configApply.inc({ result: "rejected" });
    },
    telemetryDropped(kind: "stats_window" | "span" | "health_event", n: number): void {
      if (n > 0) telemetryDropped.inc({ kind }, n);
    },
  };
}
