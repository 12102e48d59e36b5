import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { listenForVersions, markAllNodesDisconnected, type Db } from "@switchyard/db";
import { XdsHub, type TTelemetryCounts, type TXdsLog } from "./hub.ts";

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
  log: TXdsLog;
  /** Ping interval in ms (default 15 000); a node that misses 2 pongs is dropped. */
  heartbeatIntervalMs?: number;
  /** How long a new connection may take to send hello, in ms (default 5 000). */
  helloTimeoutMs?: number;
};

export type TXdsServer = {
  /** Stops accepting nodes, closes their sockets and the LISTEN connection. */
  close(): Promise<void>;
  /** Node ids with an open, hello'd connection to this console replica. */
  connectedNodeIds(): string[];
  /** stats/health/spans frames received (validated, not stored yet). */
  telemetryCounts(): TTelemetryCounts;
};

/**
 * Serves the control-plane stream on `server` at /api/xds. Only upgrades for that path
 * are touched: every other upgrade (Next's HMR socket, tRPC subscriptions) is left for
 * the other listeners of the same server.
 */
export async function attachXdsServer(server: Server, deps: TXdsDeps): Promise<TXdsServer> {
  // This replica just started, so none of the nodes it knew are connected to it any more.
  await markAllNodesDisconnected(deps.db);

  const hub = new XdsHub({
    db: deps.db,
    nodeToken: deps.nodeToken,
    log: deps.log,
    heartbeatIntervalMs: deps.heartbeatIntervalMs,
    helloTimeoutMs: deps.helloTimeoutMs,
  });

  // Every replica LISTENs, so a publish on any replica reaches the nodes of all of them.
  const push = () => {
    hub.pushLatest().catch((err: unknown) =>
      deps.log("xds_db_error", { op: "pushLatest", error: err instanceof Error ? err.message : String(err) }),
    );
  };
  // Notifications sent while the LISTEN connection was down are lost: re-read on reconnect.
  const pushEndpoints = (cluster: string) => {
    hub.pushEndpoints(cluster).catch((err: unknown) =>
      deps.log("xds_db_error", { op: "pushEndpoints", cluster, error: err instanceof Error ? err.message : String(err) }),
    );
  };
  const listener = await listenForVersions(deps.databaseUrl, push, {
    onReconnect: push,
    onEndpoints: pushEndpoints,
    log: (line) => deps.log("xds_listen", { message: line }),
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (pathnameOf(req.url) !== XDS_PATH) return;
    hub.handleUpgrade(req, socket, head);
  };
  server.on("upgrade", onUpgrade);
  deps.log("xds_listening", { path: XDS_PATH, tokenRequired: Boolean(deps.nodeToken) });

  let closing: Promise<void> | null = null;
  return {
    connectedNodeIds: () => hub.connectedNodeIds(),
    telemetryCounts: () => hub.telemetryCounts(),
    close: () => {
      closing ??= (async () => {
        server.off("upgrade", onUpgrade);
        await listener.close();
        await hub.close();
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
