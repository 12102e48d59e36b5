import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import {
  AUDIT_ACTIONS,
  appendAudit,
  authenticateNodeToken,
  getNode,
  listenForVersions,
  revokedNodeTokenIds,
  markAllNodesDisconnected,
  nodeTokensConfigured,
  notifyChange,
  type Db,
} from "@switchyard/db";
import { RolloutGuard } from "../rollout/guard.ts";
import { onNodeAck, onNodeNack } from "../rollout/service.ts";
import { XdsHub, type TTelemetryCounts, type TXdsHooks, type TXdsLog } from "./hub.ts";
import { createTelemetryIngest, type TTelemetryIngest } from "../telemetry/ingest.ts";
import { publishLive } from "../telemetry/bus.ts";
import { clientCertRefusal, type TConsoleServer } from "../tls.ts";

export { XDS_CLOSE, type TTelemetryCounts, type TXdsLog } from "./hub.ts";
export { bearerToken, bearerTokenMatches } from "./bearer.ts";

/** The control-plane WebSocket path (DESIGN.md §4). */
export const XDS_PATH = "/api/xds";

export type TXdsDeps = {
  db: Db;
  /** Connection string for LISTEN config_version (a dedicated connection, not the pool). */
  databaseUrl: string;
  /** When set, nodes must send `Authorization: Bearer <nodeToken>` (401 otherwise). */
  nodeToken?: string;
  /** Nodes must present a client certificate the server's CA verified (SWITCHYARD_TLS_CLIENT_CA); 401 otherwise. */
  requireClientCert?: boolean;
  log: TXdsLog;
  /** Ping interval in ms (default 15 000); a node that misses 2 pongs is dropped. */
  heartbeatIntervalMs?: number;
  /** How long a new connection may take to send hello, in ms (default 5 000). */
  helloTimeoutMs?: number;
  /** SLO guard tick in ms (default 1 000); 0 = no guard on this replica. */
  guardIntervalMs?: number;
  /**
   * Stores telemetry frames (stats, health, spans); default: `createTelemetryIngest(db)`.
   * Always stored: the SLO guard reads the stored stats windows.
   */
  telemetry?: TTelemetryIngest;
};

export type TXdsServer = {
  /** Stops accepting nodes, closes their sockets and the LISTEN connection. */
  close(): Promise<void>;
  /** Node ids with an open, hello'd connection to this console replica. */
  connectedNodeIds(): string[];
  /** stats/health/spans frames received (validated, then stored). */
  telemetryCounts(): TTelemetryCounts;
  /** Snapshots serialized since start: one per version, whatever the fan-out. */
  snapshotSerializations(): number;
};

/**
 * Serves the control-plane stream on `server` at /api/xds. Only upgrades for that path
 * are touched: every other upgrade (Next's HMR socket, tRPC subscriptions) is left for
 * the other listeners of the same server.
 */
export async function attachXdsServer(server: TConsoleServer, deps: TXdsDeps): Promise<TXdsServer> {
  // Rows left connected by a console that died are reset; nodes other replicas serve are
  // touched on every heartbeat, so only rows silent for 4 heartbeats count as stale.
  await markAllNodesDisconnected(deps.db, { staleAfterMs: 4 * (deps.heartbeatIntervalMs ?? 15_000) });

  const telemetry = deps.telemetry ?? createTelemetryIngest(deps.db, { log: deps.log });
  const hub = new XdsHub({
    db: deps.db,
    nodeToken: deps.nodeToken,
    log: deps.log,
    hooks: nodeHooks(deps),
    heartbeatIntervalMs: deps.heartbeatIntervalMs,
    helloTimeoutMs: deps.helloTimeoutMs,
    telemetry,
  });

  // Every replica LISTENs, so a publish on any replica reaches the nodes of all of them.
  const push = () => {
    // Dashboards draw publish / rollback markers: tell them a version landed.
    publishLive({ kind: "version", at: Date.now() });
    hub.pushLatest().catch((err: unknown) =>
      deps.log("xds_db_error", { op: "pushLatest", error: err instanceof Error ? err.message : String(err) }),
    );
  };
  // Notifications sent while the LISTEN connection was down are lost: re-read on reconnect.
  const pushEndpoints = (cluster: string) => {
    publishLive({ kind: "change", at: Date.now(), change: { scope: "endpoints", actor: null, resources: [`clusters/${cluster}`] } });
    hub.pushEndpoints(cluster).catch((err: unknown) =>
      deps.log("xds_db_error", { op: "pushEndpoints", cluster, error: err instanceof Error ? err.message : String(err) }),
    );
  };
  const tokenRevoked = (tokenId: string) => {
    for (const node of hub.closeSessionsOfToken(tokenId)) auditRevokedSession(deps, tokenId, node);
  };
  const resync = () => {
    hub.resync().catch((err: unknown) => deps.log("xds_db_error", { op: "resync", error: err instanceof Error ? err.message : String(err) }));
    // A revocation notified while LISTEN was down is found here.
    revokedNodeTokenIds(deps.db, hub.liveTokenIds()).then(
      (ids) => ids.forEach(tokenRevoked),
      (err: unknown) => deps.log("xds_db_error", { op: "recheckTokens", error: err instanceof Error ? err.message : String(err) }),
    );
  };
  const listener = await listenForVersions(deps.databaseUrl, push, {
    onReconnect: resync,
    onEndpoints: pushEndpoints,
    onNodeTokenRevoked: tokenRevoked,
    // Working-config edits and node registry changes, from any replica, to this replica's open pages.
    onChange: (change) => publishLive({ kind: "change", at: Date.now(), change }),
    log: (line) => deps.log("xds_listen", { message: line }),
  });

  // The managed endpoint sets are held in memory from here on (one read per change).
  await hub.resync();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (pathnameOf(req.url) !== XDS_PATH) return;
    const refused = clientCertRefusal(req, deps.requireClientCert === true);
    if (refused) {
      deps.log("xds_unauthorized", { remoteAddress: req.socket.remoteAddress, reason: refused });
      socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(refused)}\r\n\r\n${refused}`);
      return;
    }
    hub.handleUpgrade(req, socket, head);
  };
  server.on("upgrade", onUpgrade);
  const guard = deps.guardIntervalMs === 0 ? null : new RolloutGuard({ db: deps.db, log: deps.log, intervalMs: deps.guardIntervalMs });
  guard?.start();
  deps.log("xds_listening", { path: XDS_PATH, envTokenSet: Boolean(deps.nodeToken), nodeTokensInDb: await nodeTokensConfigured(deps.db) });

  let closing: Promise<void> | null = null;
  return {
    connectedNodeIds: () => hub.connectedNodeIds(),
    telemetryCounts: () => hub.telemetryCounts(),
    snapshotSerializations: () => hub.snapshotSerializations(),
    close: () => {
      closing ??= (async () => {
        server.off("upgrade", onUpgrade);
        await guard?.stop();
        await listener.close();
        await hub.close();
        // The windows merged but not yet stored.
        await telemetry.close();
      })();
      return closing;
    },
  };
}

function pathnameOf(url: string | undefined): string {
  if (!url) return "";
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

/** The audit row of a session closed because its node token was revoked. */
function auditRevokedSession(deps: TXdsDeps, tokenId: string, node: { nodeId: string | null; remoteAddress: string | undefined }): void {
  appendAudit(deps.db, {
    actor: "control-plane",
    action: AUDIT_ACTIONS.nodeDisconnected,
    target: node.nodeId ?? node.remoteAddress ?? "unknown",
    ip: node.remoteAddress ?? null,
    details: { nodeId: node.nodeId, tokenId, reason: "node token revoked" },
  }).catch((err: unknown) => deps.log("xds_db_error", { op: "auditRevokedSession", error: err instanceof Error ? err.message : String(err) }));
}

/** One audit row per remote address and reason a minute: a misconfigured node retries forever. */
const REFUSAL_AUDIT_EVERY_MS = 60_000;

/** Registry changes are announced at most once per this (a publish acked by 1 000 nodes is a few notifications). */
const NODES_CHANGED_EVERY_MS = 1_000;

/** NOTIFY console_change {scope: "nodes"}, throttled (leading and trailing), so every replica's browsers refetch their node views. */
function nodesChanged(deps: TXdsDeps): () => void {
  let last = 0;
  let timer: NodeJS.Timeout | null = null;
  const send = () => {
    last = Date.now();
    timer = null;
    notifyChange(deps.db, { scope: "nodes", actor: null }).catch((err: unknown) => deps.log("xds_db_error", { op: "notifyNodes", error: err instanceof Error ? err.message : String(err) }));
  };
  return () => {
    if (timer) return;
    const wait = last + NODES_CHANGED_EVERY_MS - Date.now();
    if (wait <= 0) send();
    else timer = setTimeout(send, wait);
  };
}

function nodeHooks(deps: TXdsDeps): TXdsHooks {
  const lastRefusal = new Map<string, number>();
  return {
    async authorize(token) {
      if (token) {
        const found = await authenticateNodeToken(deps.db, token);
        if (found) return { ok: true, group: found.group, tokenId: found.id };
        return { ok: false, reason: "unknown or revoked node token" };
      }
      // Node authentication is on once any node token exists (or SWITCHYARD_NODE_TOKEN is set).
      if (deps.nodeToken || (await nodeTokensConfigured(deps.db))) return { ok: false, reason: "missing Authorization: Bearer <node token>" };
      return { ok: true, group: null };
    },
    onRefused(info) {
      const key = `${info.remoteAddress}|${info.nodeId}|${info.reason}`;
      const now = Date.now();
      if (now - (lastRefusal.get(key) ?? 0) < REFUSAL_AUDIT_EVERY_MS) return;
      lastRefusal.set(key, now);
      if (lastRefusal.size > 1000) lastRefusal.clear();
      appendAudit(deps.db, {
        actor: "control-plane",
        action: AUDIT_ACTIONS.nodeRefused,
        target: info.nodeId ?? info.remoteAddress ?? "unknown",
        ip: info.remoteAddress ?? null,
        details: { nodeId: info.nodeId, group: info.group, reason: info.reason },
      }).catch((err: unknown) => deps.log("xds_db_error", { op: "auditRefusal", error: err instanceof Error ? err.message : String(err) }));
    },
    registeredGroup: async (nodeId) => (await getNode(deps.db, nodeId))?.group ?? null,
    onRegistryChange: nodesChanged(deps),
    onAck: (node, version) => onNodeAck(deps.db, node, version),
    async onNack(node, version, error) {
      if (await onNodeNack(deps.db, node, version, error)) deps.log("rollout_stopped_by_nack", { nodeId: node.nodeId, group: node.group, version });
    },
  };
}
