import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { redactConfig } from "@switchyard/config-model";
import type { Registry } from "prom-client";
import type { TProxyOptions } from "../cli/options.ts";
import type { TRuntime } from "../runtime/types.ts";
import { PROXY_VERSION } from "../version.ts";
import type { ClusterRuntime } from "../upstream/cluster.ts";
import { createAdminGuard, type TAdminAuth } from "./admin-auth.ts";

/** What the admin server shows of the applied version (a worker primary has no TRuntime of its own, only this). */
export type TAppliedView = Pick<TRuntime, "version" | "hash" | "source" | "appliedAt" | "config">;

export type TAdminDeps = {
  /** The applied version, or null before the first. */
  runtime: () => TAppliedView | null;
  /** Clusters of the applied version. */
  clusters: () => Iterable<ClusterRuntime>;
  /** When set, /clusters answers this instead of describing `clusters()` (the multi-worker primary). */
  clusterReport?: () => Promise<TAdminClusterView[]>;
  /** A prom-client Registry, or the primary's aggregate of its workers' registries. */
  registry: Pick<Registry, "metrics" | "getMetricsAsJSON" | "contentType">;
  /** Extra state for /ready's body (e.g. control-plane connection). */
  readyDetails?: () => Record<string, unknown>;
  /** Who this proxy is, for /server_info: version, mode, node id, group, workers. */
  serverInfo: () => Record<string, unknown>;
  /** --admin-token / --admin-token-reads (admin-auth.ts); absent = no token. */
  auth?: TAdminAuth;
};

export type TAdminServer = {
  readonly server: Server;
  readonly port: number;
  /** True between POST /healthcheck/fail and POST /healthcheck/ok, and after drain(). */
  draining(): boolean;
  /** Shutdown: /ready answers 503 DRAINING from now on, so load balancers stop sending. */
  drain(): void;
  close(): Promise<void>;
};

/** /server_info's identity part: what this process was started as. */
export function serverIdentity(options: TProxyOptions): Record<string, unknown> {
  return {
    version: PROXY_VERSION,
    mode: options.mode,
    nodeId: options.mode === "managed" ? options.nodeId : null,
    group: options.mode === "managed" ? options.group : null,
    controlPlane: options.mode === "managed" ? options.controlPlane : null,
    configFile: options.mode === "standalone" ? options.configFile : null,
    workers: options.workers,
  };
}

type TRoute = { method: "GET" | "POST"; help: string; handle: (res: ServerResponse) => Promise<void> | void };

/**
 * The admin server (DESIGN §4), on its own address (default 127.0.0.1:9901) so it is
 * never reachable through a proxy listener. JSON everywhere except /stats/prometheus.
 */
export async function startAdminServer(host: string, port: number, deps: TAdminDeps): Promise<TAdminServer> {
  let failed = false;
  const startedAt = new Date();
  const guard = createAdminGuard(deps.auth ?? { token: null, protectReads: false }, host);

  const help = (res: ServerResponse) => {
    const lines = Object.entries(routes).map(([path, r]) => `  ${r.method.padEnd(5)}${path.padEnd(20)}${r.help}`);
    const body = `switchyard-proxy admin endpoints:\n${lines.join("\n")}\n`;
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };
  const routes: Record<string, TRoute> = {
    "/": { method: "GET", help: "this list", handle: help },
    "/help": { method: "GET", help: "this list", handle: help },
    "/server_info": {
      method: "GET",
      help: "version, state, uptime, node id and the applied version",
      handle: (res) => {
        const rt = deps.runtime();
        sendJson(res, 200, {
          ...deps.serverInfo(),
          state: failed ? "DRAINING" : rt ? "LIVE" : "PRE_INITIALIZING",
          startedAt: startedAt.toISOString(),
          uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
          appliedVersion: rt?.version ?? null,
          appliedHash: rt?.hash ?? null,
          appliedAt: rt?.appliedAt ?? null,
          nodeVersion: process.version,
          pid: process.pid,
        });
      },
    },
    "/ready": {
      method: "GET",
      help: "200 once a config is applied and its listeners are up, else 503 (DRAINING after /healthcheck/fail)",
      handle: (res) => {
        const rt = deps.runtime();
        const state = failed ? "DRAINING" : rt ? "LIVE" : "PRE_INITIALIZING";
        sendJson(res, state === "LIVE" ? 200 : 503, { state, version: rt?.version ?? null, hash: rt?.hash ?? null, ...deps.readyDetails?.() });
      },
    },
    "/stats/prometheus": {
      method: "GET",
      help: "metrics in the Prometheus text format",
      handle: async (res) => {
        const body = await deps.registry.metrics();
        res.writeHead(200, { "content-type": deps.registry.contentType, "content-length": Buffer.byteLength(body) });
        res.end(body);
      },
    },
    "/stats": {
      method: "GET",
      help: "the same metrics as JSON",
      handle: async (res) => sendJson(res, 200, { metrics: await deps.registry.getMetricsAsJSON() }),
    },
    "/clusters": {
      method: "GET",
      help: "each cluster and endpoint: health, ejection, active requests",
      handle: async (res) => {
        // Multi-worker: the primary merges its workers' views; else this process's clusters.
        const clusters = deps.clusterReport ? await deps.clusterReport() : describeClustersForAdmin(deps.clusters());
        sendJson(res, 200, { clusters });
      },
    },
    "/config_dump": {
      method: "GET",
      help: "the applied version, hash and config (private keys redacted)",
      handle: (res) => {
        const rt = deps.runtime();
        if (!rt) return sendJson(res, 503, { error: "no config applied yet" });
        sendJson(res, 200, { version: rt.version, hash: rt.hash, source: rt.source, appliedAt: rt.appliedAt, config: redactConfig(rt.config) });
      },
    },
    "/healthcheck/fail": {
      method: "POST",
      help: "start draining: /ready answers 503",
      handle: (res) => {
        failed = true;
        sendJson(res, 200, { draining: true });
      },
    },
    "/healthcheck/ok": {
      method: "POST",
      help: "stop draining",
      handle: (res) => {
        failed = false;
        sendJson(res, 200, { draining: false });
      },
    },
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0] as string;
    const route = routes[path];
    if (!route) return sendJson(res, 404, { error: `no admin endpoint ${path}`, endpoints: Object.keys(routes) });
    if (req.method !== route.method && !(route.method === "GET" && req.method === "HEAD")) {
      res.setHeader("allow", route.method === "GET" ? "GET, HEAD" : route.method);
      return sendJson(res, 405, { error: `${req.method} not allowed on ${path}, use ${route.method}` });
    }
    const refused = guard(req, route.method, path);
    if (refused) {
      if (refused.status === 401) res.setHeader("www-authenticate", 'Bearer realm="switchyard-admin"');
      return sendJson(res, refused.status, { error: refused.error });
    }
    // Drain a POST body we do not read so the connection stays usable.
    req.resume();
    Promise.resolve(route.handle(res)).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address();
  return {
    server,
    port: addr && typeof addr === "object" ? addr.port : port,
    draining: () => failed,
    drain: () => {
      failed = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + "\n";
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export type TAdminClusterView = ReturnType<typeof describeClustersForAdmin>[number];

/** The body of GET /clusters for one process's clusters; plain data, so workers can send it to the primary. */
export function describeClustersForAdmin(clusters: Iterable<ClusterRuntime>) {
  const now = performance.now();
  return [...clusters].map((c) => ({
    name: c.name,
    runtimeId: c.runtimeId,
    lbPolicy: c.lbPolicy,
    activeConnections: c.connections(),
    activeRequests: c.activeRequests,
    pendingRequests: c.pendingRequests,
    activeRetries: c.activeRetries,
    circuitBreakers: c.breakers,
    availableEndpoints: c.availableCount(),
    panic: c.panicking(),
    // Where the endpoints come from and how discovery is doing (static: source "static").
    discovery: c.discovery,
    source: c.status.source,
    endpointsVersion: c.status.endpointsVersion,
    discoveryUpdatedAt: c.status.updatedAt,
    discoveryUpdates: c.status.updates,
    discoveryFailures: c.status.failures,
    discoveryLastError: c.status.lastError,
    endpoints: c.endpoints.map((e) => ({
      address: e.address,
      port: e.port,
      weight: e.weight,
      // "pending": health checks configured, no answer yet (kept out of the balancer).
      health: e.hcPending ? "pending" : e.healthy ? "healthy" : "unhealthy",
      lastHealthCheck: e.lastCheck,
      ejected: e.outlier.ejectedUntil !== 0,
      ejectionRemainingMs: e.outlier.ejectedUntil !== 0 ? Math.max(0, Math.round(e.outlier.ejectedUntil - now)) : 0,
      ejections: e.outlier.ejections,
      activeRequests: e.activeRequests,
      successes: e.successes,
      errors: e.errors,
    })),
  }));
}
