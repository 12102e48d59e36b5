import cluster from "node:cluster";
import { describeAdminAccess } from "./admin/admin-auth.ts";
import { serverIdentity, startAdminServer, type TAdminServer } from "./admin/server.ts";
import { CliError, readCliOptions, USAGE, type TProxyOptions } from "./cli/options.ts";
import { connectManagedNode, type TManagedNode } from "./control-plane/managed-node.ts";
import { controlPlaneTls } from "./control-plane/tls.ts";
import { handleRequest, handleUpgrade } from "./pipeline/connection-manager.ts";
import { ListenerManager } from "./listener/listener-manager.ts";
import { admitRequest, admitUpgrade } from "./listener/request-entry.ts";
import { createAccessLog } from "./observability/access-log.ts";
import { createLogger } from "./observability/log.ts";
import { createMetrics } from "./observability/metrics.ts";
import { StatsWindow } from "./observability/stats-window.ts";
import { createEndpointTracker, startTelemetryReporter, type TTelemetryReporter } from "./observability/telemetry-reporter.ts";
import { createOtlpExporter, type TOtlpExporter } from "./observability/tracing/otlp-exporter.ts";
import type { TSpanSink } from "./observability/tracing/request-trace.ts";
import { hashConfig } from "@switchyard/config-model";
import { RuntimeManager } from "./runtime/apply.ts";
import { cacheOf } from "./runtime/cache.ts";
import { checkConfig } from "./runtime/check.ts";
import { bootFromCache, describeRefusal, startStandalone } from "./runtime/config-source.ts";
import { loadConfigFile } from "./standalone/config-file.ts";
import { ClusterManager } from "./upstream/cluster-manager.ts";
import { RateLimitManager } from "./filters/rate-limit/manager.ts";
import { EdsStore } from "./upstream/discovery/eds.ts";
import { describeClusters } from "./upstream/discovery/status.ts";
import { PROXY_VERSION } from "./version.ts";
import { loadFilterCode } from "./filters/code/index.ts";
import { allowedPluginModules, announcedPlugins } from "./filters/code/plugin.ts";
import type { TLoadedModule } from "./filters/code/types.ts";
import { scaffoldPlugin } from "./cli/plugin-new.ts";
import { runPrimary } from "./workers/primary.ts";
import { parseOutboundAllow } from "./upstream/outbound-allow.ts";
import { attachWorker, telemetryToPrimary } from "./workers/worker.ts";
import { StateLink } from "./workers/state-link.ts";
import { isStateOwner } from "./workers/env.ts";

/**
 * Composition root: the only file that wires modules together.
 * Boot order: options -> logs/metrics -> managers -> admin server -> first config
 * (file, or cache then control plane) -> signal handlers.
 * `--workers N` > 1: this process becomes the primary (workers/primary.ts: config source,
 * admin, fan-out) and forks N workers that run `run()` below with the primary as their
 * config source (workers/worker.ts) and no admin server of their own.
 */

/** In-flight requests get this long to finish on SIGINT/SIGTERM. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  let command;
  try {
    command = readCliOptions();
    // Fail fast, before anything listens: an unreadable --control-plane-ca/-cert/-key exits 2 naming the flag.
    if (command.kind === "run" && command.options.mode === "managed") controlPlaneTls(command.options);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`switchyard-proxy: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (command.kind === "help") return void process.stdout.write(USAGE);
  if (command.kind === "version") return void process.stdout.write(`${PROXY_VERSION}\n`);
  if (command.kind === "validate") {
    await validateFile(command.configFile, command.redisConfigured, command.plugins);
    // A plugin's create() may have started timers: they must not keep a check running.
    process.exit(process.exitCode ?? 0);
  }
  if (command.kind === "plugin-new") return scaffoldPlugin(command.name, command.dir);
  // --plugin modules load before anything listens: one that does not load exits 2 naming it.
  const plugins = await announcedPlugins(command.options.plugins ?? []).catch((err: unknown) => {
    process.stderr.write(`switchyard-proxy: ${(err as Error).message}\n`);
    return process.exit(2);
  });
  if (command.options.workers > 1 && cluster.isPrimary) {
    return runPrimary(command.options, { log: createLogger(undefined, command.options.logLevel), graceMs: SHUTDOWN_GRACE_MS, plugins });
  }
  await run(command.options, plugins);
}

async function run(options: TProxyOptions, plugins: readonly TLoadedModule[]): Promise<void> {
  const log = createLogger(undefined, options.logLevel);
  const accessLog = createAccessLog(options.accessLog);
  const eds = new EdsStore();
  // --outbound-allow: where a config may make this process connect (docs/outbound-calls.md).
  const outbound = parseOutboundAllow(options.outboundAllow);
  // Managed mode: the console connection (its clusterStatus frames are the console's per-cluster endpoints view).
  let managed: TManagedNode | null = null;
  // Endpoint membership transitions for the console (versions and discovery both change sets).
  const trackEndpoints = createEndpointTracker();
  let reporter: TTelemetryReporter | null = null;
  const reportEndpoints = () => {
    if (reporter) reporter.health(trackEndpoints(clusters.current()));
  };
  const clusterStatusChanged = () => {
    managed?.clusterStatusChanged();
    reportEndpoints();
  };
  // A worker shares breaker counts, rate-limit buckets and health/ejection verdicts with
  // the other workers through its primary (workers/state-link.ts); one process keeps its own.
  const link = cluster.isWorker ? new StateLink(isStateOwner(), options.workers) : null;
  // Scraped lazily: the closure reads `clusters` only at scrape time.
  const metrics = createMetrics(() => clusters.current());
  const clusters = new ClusterManager(
    {
      log,
      // Counted, and reported to the console as they happen (telemetry `health` events).
      healthTransition: (cluster, to, endpoint, detail) => {
        metrics.healthTransition(cluster, to);
        reporter?.health([{ cluster, endpoint, healthy: to === "healthy", reason: `health_check: ${detail}`.slice(0, 200), at: Date.now() }]);
      },
      outlierEjected: (cluster, endpoint, ejected) => {
        metrics.outlierEjected(cluster, endpoint, ejected);
        reporter?.health([{ cluster, endpoint, healthy: !ejected, reason: ejected ? "outlier_ejected" : "outlier_returned", at: Date.now() }]);
      },
      endpointStateChanged: () => clusterStatusChanged(),
    },
    {
      consul: { url: options.discovery.consulUrl, token: options.discovery.consulToken },
      kubernetes: options.discovery.kubernetes,
      eds,
      log: (event, fields) => log(event, fields),
      counted: (cluster, kind, result) => metrics.discovery(cluster, kind, result),
      changed: clusterStatusChanged,
      outbound,
    },
    link ?? undefined,
  );
  link?.attach({
    health: (name, hostPort, healthy, detail) => clusters.get(name)?.applyHealth(hostPort, healthy, detail),
    ejection: (name, hostPort, remainingMs, ejections) => clusters.get(name)?.applyEjection(hostPort, remainingMs, ejections),
    outcome: (name, hostPort, outcome) => clusters.get(name)?.recordRemoteOutcome(hostPort, outcome),
  });
  const rateLimits = new RateLimitManager(options.redisUrl, { log, redisError: metrics.redisError }, link);

  // Telemetry: the console gets stats windows, health transitions and spans in managed
  // mode; an OTLP collector gets spans when --otlp-endpoint is set. Spans are recorded
  // only when someone takes them.
  const isManaged = options.mode === "managed";
  const stats = isManaged ? new StatsWindow() : null;
  const otlp: TOtlpExporter | null = options.otlpEndpoint
    ? createOtlpExporter(
        options.otlpEndpoint,
        {
          serviceName: options.otlp.serviceName,
          serviceInstanceId: isManaged ? options.nodeId : `standalone-${process.pid}`,
          serviceVersion: PROXY_VERSION,
          attributes: options.otlp.resourceAttributes,
        },
        log,
        { headers: options.otlp.headers, compression: options.otlp.compression },
      )
    : null;
  let otlpDropped = 0;
  const spans: TSpanSink | null =
    isManaged || otlp
      ? (span) => {
          reporter?.span(span);
          otlp?.push(span);
        }
      : null;
  const deps = { accessLog, metrics, log, stats, spans };
  // Every request passes the entry first (listener/request-entry.ts: path normalisation, client address).
  const request = (listener: Parameters<typeof handleRequest>[0], req: Parameters<typeof handleRequest>[1], downstream: Parameters<typeof handleRequest>[2]) => {
    if (admitRequest(listener, req, downstream, deps)) handleRequest(listener, req, downstream, deps);
  };
  const listeners = new ListenerManager(
    {
      request,
      upgrade: (listener, req, socket, head) => {
        if (admitUpgrade(listener, req, socket, deps)) handleUpgrade(listener, req, socket, head, deps);
      },
      tcpStats: metrics,
    },
    log,
  );
  const runtime = new RuntimeManager({
    listeners,
    clusters,
    rateLimits,
    metrics,
    log,
    // A worker's primary writes the cache (once, not N times).
    cache: cluster.isWorker ? null : cacheOf(options),
    onApplied: reportEndpoints,
    outbound,
    allowedPlugins: allowedPluginModules(options.plugins, options.mode === "managed"),
  });

  let stopping = false;
  let admin: TAdminServer | null = null;
  let stopWatching: (() => void) | null = null;
  const stop = async (signal: string, graceMs = SHUTDOWN_GRACE_MS) => {
    if (stopping) return;
    stopping = true;
    admin?.drain();
    log("shutdown", { signal, graceMs });
    stopWatching?.();
    // Last window and spans go out before the socket closes (queued if it is down).
    reporter?.flush();
    reporter?.close();
    await otlp?.close().catch(() => undefined);
    await managed?.client.close().catch(() => undefined);
    await listeners.close(graceMs);
    await clusters.close(1_000);
    rateLimits.close();
    await admin?.close();
    await accessLog.close();
    log("stopped", {});
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  if (cluster.isWorker) {
    // Config, admin queries and the drain order come from the primary; in managed mode
    // this worker's stats windows, health events and spans go to the console through it.
    if (stats) reporter = startTelemetryReporter(stats, telemetryToPrimary(), options.statsIntervalMs);
    attachWorker({ runtime, clusters, eds, metrics, stop: (reason, graceMs) => void stop(reason, graceMs) });
    return;
  }

  admin = await startAdminServer(options.admin.host, options.admin.port, {
    auth: options.adminAuth,
    runtime: () => runtime.current(),
    clusters: () => clusters.current(),
    registry: metrics.registry,
    // Managed from the first answer on: /ready may say LIVE (a config from the cache is
    // serving) before the control-plane client below exists, and that is "not connected".
    readyDetails: () => (options.mode === "managed" ? { controlPlaneConnected: managed?.client.connected() ?? false } : {}),
    serverInfo: () => ({ ...serverIdentity(options), ...(options.mode === "managed" ? { controlPlaneConnected: managed?.client.connected() ?? false } : {}) }),
  }).catch((err: unknown) => {
    process.stderr.write(`switchyard-proxy: --admin ${options.admin.host}:${options.admin.port}: cannot listen: ${(err as Error).message}\n`);
    process.exit(1);
  });
  log("admin_up", { address: options.admin.host, port: admin.port, access: describeAdminAccess(options.adminAuth, options.admin.host), version: PROXY_VERSION, mode: options.mode });

  if (options.mode === "standalone") {
    stopWatching = await startStandalone(options.configFile, runtime, log);
  } else {
    const cache = cacheOf(options);
    if (cache) await bootFromCache(cache, runtime, log);
    managed = connectManagedNode(options, {
      log,
      metrics,
      adminPort: admin.port,
      applier: runtime,
      getApplied: () => {
        const rt = runtime.current();
        return rt && rt.version !== null ? { version: rt.version, hash: rt.hash } : null;
      },
      applyEndpoints: (msg) => {
        const rt = clusters.get(msg.cluster);
        if (!rt) return { ok: false, error: `unknown cluster "${msg.cluster}" in the applied config` };
        if (rt.discovery !== "eds") return { ok: false, error: `cluster "${msg.cluster}" has discovery ${rt.discovery}, not eds` };
        return eds.push(msg.cluster, msg.version, msg.endpoints);
      },
      clusterStatus: () => describeClusters(clusters.current()),
      dropsTakenBy: "reporter",
      plugins,
    });
    reporter = startTelemetryReporter(stats as StatsWindow, managed.telemetry, options.statsIntervalMs);
    // Endpoints of a config applied from the cache before the stream was up.
    reportEndpoints();
  }
  if (otlp) {
    setInterval(() => {
      const d = otlp.dropped();
      metrics.telemetryDropped("span", d - otlpDropped);
      otlpDropped = d;
    }, 5_000).unref();
  }

}

/**
 * `--validate --config FILE`: the checks every version passes before it is built, plugins'
 * config schemas and create() included; exit 0 valid, 1 with every issue.
 */
async function validateFile(file: string, redisConfigured: boolean, plugins: string[] | null): Promise<void> {
  const loaded = await loadConfigFile(file);
  let result = loaded.ok ? checkConfig(loaded.value, { redisConfigured }) : { ok: false as const, error: "cannot parse config file", issues: loaded.issues };
  if (result.ok) {
    const code = await loadFilterCode(result.config, null, {
      log: () => undefined,
      counter: () => undefined,
      filterFailed: () => undefined,
      allowedModules: allowedPluginModules(plugins, false),
    });
    if (!code.ok) result = code;
  }
  if (!result.ok) {
    process.stderr.write(describeRefusal(file, loaded.text, result.error, result.issues));
    process.exitCode = 1;
    return;
  }
  const c = result.config;
  process.stdout.write(`${file}: valid (${c.listeners.length} listeners, ${c.routeConfigs.length} route configs, ${c.clusters.length} clusters, ${c.secrets.length} secrets, ${c.rateLimitPolicies.length} rate-limit policies; hash ${hashConfig(c).slice(0, 12)})\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`switchyard-proxy: fatal: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
