import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, WebSocket, type RawData } from "ws";
import { ZNodeToConsoleMessage, decodeMessage, type THelloMessage } from "@switchyard/config-model";
import {
  getClusterEndpointSet,
  listClusterEndpointSets,
  recordNodeClusterStatus,
  recordNodeEndpointAck,
  type TClusterEndpointSet,
  getLatestVersion,
  recordNodeAck,
  recordNodeDisconnected,
  recordNodeHello,
  recordNodeNack,
  touchNode,
  type Db,
} from "@switchyard/db";
import { bearerTokenMatches } from "./bearer.ts";

export type TXdsLog = (event: string, fields?: Record<string, unknown>) => void;

export type TXdsHubOptions = {
  db: Db;
  nodeToken?: string;
  log: TXdsLog;
  /** Ping interval; a node that misses 2 pongs is terminated. Default 15 000. */
  heartbeatIntervalMs?: number;
  /** Time a new connection has to send `hello`. Default 5 000. */
  helloTimeoutMs?: number;
};

/** Telemetry frames received since start; storage arrives with the observability issue. */
export type TTelemetryCounts = { stats: number; health: number; spans: number };

/** Close codes the hub uses (4000-4999 is the application range). */
export const XDS_CLOSE = {
  replaced: 4000,
  helloTimeout: 4001,
  heartbeatTimeout: 4002,
  shuttingDown: 1001,
} as const;

const DEFAULT_HEARTBEAT_MS = 15_000;
const DEFAULT_HELLO_TIMEOUT_MS = 5_000;
const MAX_MISSED_PONGS = 2;
/** Snapshots are the biggest frames a node sends back only as acks; telemetry batches are small. */
const MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;
const CLOSE_GRACE_MS = 2_000;

type TLatest = { version: number; hash: string; config: unknown };

/** One WebSocket connection; it becomes a node once its hello arrives. */
type TSession = {
  ws: WebSocket;
  remoteAddress: string | undefined;
  nodeId: string | null;
  appliedVersion: number | null;
  appliedHash: string | null;
  /** Last snapshot sent on this connection: never send an older one after it. */
  sentVersion: number | null;
  sentHash: string | null;
  missedPongs: number;
  helloTimer: NodeJS.Timeout | null;
  /** Registry writes of one connection run in order (hello before ack before disconnect). */
  dbChain: Promise<void>;
  /** eds: endpoints version last sent per cluster on this connection (resent after a nack). */
  edsSent: Map<string, number>;
};

/**
 * The console's end of the control-plane stream: accepts nodes on /api/xds, sends each
 * the latest version unless it already serves it, pushes every new version to all nodes
 * connected to this replica, and keeps the node registry in the database up to date.
 */
export class XdsHub {
  readonly #opts: TXdsHubOptions;
  readonly #wss: WebSocketServer;
  readonly #sessions = new Set<TSession>();
  /** nodeId -> its current connection; a newer connection of the same id wins. */
  readonly #nodes = new Map<string, TSession>();
  readonly #telemetry: TTelemetryCounts = { stats: 0, health: 0, spans: 0 };
  #heartbeat: NodeJS.Timeout;
  #closed = false;
  #pushing = false;
  #pushAgain = false;

  constructor(opts: TXdsHubOptions) {
    this.#opts = opts;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD_BYTES });
    this.#heartbeat = setInterval(() => this.#beat(), opts.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_MS);
  }

  connectedNodeIds(): string[] {
    return [...this.#nodes.keys()].sort();
  }

  telemetryCounts(): TTelemetryCounts {
    return { ...this.#telemetry };
  }

  /** Takes over an upgrade request already known to be for /api/xds. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => undefined);
    const remoteAddress = req.socket.remoteAddress;
    if (this.#closed) {
      refuseUpgrade(socket, 503, "console is shutting down");
      return;
    }
    const token = this.#opts.nodeToken;
    if (token && !bearerTokenMatches(req.headers.authorization, token)) {
      const reason = req.headers.authorization ? "wrong node token" : "missing Authorization: Bearer <node token>";
      this.#opts.log("xds_unauthorized", { remoteAddress, reason });
      refuseUpgrade(socket, 401, `unauthorized: ${reason}`);
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws, remoteAddress));
  }

  /** Called on every NOTIFY config_version (from any replica): push the latest to every node. */
  async pushLatest(): Promise<void> {
    // Coalesce bursts: while one push runs, later notifications only ask for one more round.
    if (this.#pushing) {
      this.#pushAgain = true;
      return;
    }
    this.#pushing = true;
    try {
      do {
        this.#pushAgain = false;
        const latest = await this.#latest();
        if (!latest || this.#closed) continue;
        let sent = 0;
        for (const session of this.#nodes.values()) if (this.#sendSnapshot(session, latest)) sent++;
        // A version may add eds clusters (or re-enable ones whose sets were refused).
        for (const session of this.#nodes.values()) await this.#sendEndpointSets(session, latest);
        this.#opts.log("xds_version_pushed", { version: latest.version, hash: latest.hash, nodes: sent });
      } while (this.#pushAgain && !this.#closed);
    } finally {
      this.#pushing = false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    const all = [...this.#sessions];
    const closing = all.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.ws.readyState === WebSocket.CLOSED) return resolve();
          const grace = setTimeout(() => s.ws.terminate(), CLOSE_GRACE_MS);
          s.ws.once("close", () => {
            clearTimeout(grace);
            resolve();
          });
          s.ws.close(XDS_CLOSE.shuttingDown, "console shutting down");
        }),
    );
    await Promise.all(closing);
    // Let each connection's registry writes (the disconnect) land before the db goes away.
    await Promise.all(all.map((s) => s.dbChain));
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #onConnection(ws: WebSocket, remoteAddress: string | undefined): void {
    const session: TSession = {
      ws,
      remoteAddress,
      nodeId: null,
      appliedVersion: null,
      appliedHash: null,
      sentVersion: null,
      sentHash: null,
      missedPongs: 0,
      helloTimer: null,
      dbChain: Promise.resolve(),
      edsSent: new Map(),
    };
    this.#sessions.add(session);
    session.helloTimer = setTimeout(() => {
      this.#opts.log("xds_hello_timeout", { remoteAddress });
      this.#sendError(session, "hello_timeout", "the first frame must be hello");
      ws.close(XDS_CLOSE.helloTimeout, "no hello");
    }, this.#opts.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS);

    ws.on("message", (data, isBinary) => this.#onMessage(session, data, isBinary));
    ws.on("pong", () => {
      session.missedPongs = 0;
      if (session.nodeId && this.#nodes.get(session.nodeId) === session) {
        const nodeId = session.nodeId;
        this.#write(session, "touchNode", () => touchNode(this.#opts.db, nodeId));
      }
    });
    ws.on("error", (err) => this.#opts.log("xds_socket_error", { nodeId: session.nodeId, error: err.message }));
    ws.on("close", (code, reason) => this.#onClose(session, code, reason.toString()));
  }

  #onMessage(session: TSession, data: RawData, isBinary: boolean): void {
    session.missedPongs = 0;
    if (isBinary) {
      this.#refuseFrame(session, "binary frame; the protocol is JSON text");
      return;
    }
    const msg = decodeMessage(ZNodeToConsoleMessage, rawToString(data));
    if (!("type" in msg)) {
      this.#refuseFrame(session, msg.error);
      return;
    }
    if (msg.type === "hello") {
      if (session.nodeId !== null) {
        this.#refuseFrame(session, "hello was already received on this connection");
        return;
      }
      void this.#onHello(session, msg);
      return;
    }
    const nodeId = session.nodeId;
    if (nodeId === null) {
      this.#refuseFrame(session, `${msg.type} before hello; the first frame must be hello`);
      return;
    }
    const db = this.#opts.db;
    switch (msg.type) {
      case "ack":
        session.appliedVersion = msg.version;
        session.appliedHash = msg.hash;
        this.#opts.log("xds_ack", { nodeId, version: msg.version, hash: msg.hash });
        this.#write(session, "recordNodeAck", () => recordNodeAck(db, nodeId, msg.version, msg.hash));
        return;
      case "nack":
        this.#opts.log("xds_nack", { nodeId, version: msg.version, error: msg.error, issues: msg.issues.length });
        this.#write(session, "recordNodeNack", () => recordNodeNack(db, nodeId, msg.version, nackText(msg.error, msg.issues)));
        return;
      case "stats":
      case "health":
      case "spans":
        // Validated above; storage and live dashboards come with the observability issue.
        this.#telemetry[msg.type]++;
        if (msg.type === "stats") this.#write(session, "touchNode", () => touchNode(db, nodeId));
        return;
      case "endpointsAck":
      case "endpointsNack": {
        const ok = msg.type === "endpointsAck";
        const error = msg.type === "endpointsNack" ? msg.error : undefined;
        // A refused set is sent again next time (e.g. once a snapshot adds the cluster).
        if (!ok && session.edsSent.get(msg.cluster) === msg.version) session.edsSent.delete(msg.cluster);
        this.#opts.log(ok ? "xds_endpoints_ack" : "xds_endpoints_nack", { nodeId, cluster: msg.cluster, version: msg.version, ...(error ? { error } : {}) });
        this.#write(session, "recordNodeEndpointAck", () => recordNodeEndpointAck(db, nodeId, msg.cluster, { version: msg.version, ok, ...(error ? { error } : {}) }));
        return;
      }
      case "clusterStatus":
        this.#write(session, "recordNodeClusterStatus", () => recordNodeClusterStatus(db, nodeId, msg.clusters));
        return;
    }
  }

  /** Called on every NOTIFY cluster_endpoints (from any replica): push that cluster's set to every node. */
  async pushEndpoints(cluster: string): Promise<void> {
    const set = await getClusterEndpointSet(this.#opts.db, cluster);
    if (!set || this.#closed) return;
    let sent = 0;
    for (const session of this.#nodes.values()) if (this.#sendEndpoints(session, set)) sent++;
    this.#opts.log("xds_endpoints_pushed", { cluster, version: set.version, endpoints: set.endpoints.length, nodes: sent });
  }

  /** Sends every stored eds set whose cluster is `discovery: eds` in `latest` (after its snapshot, same socket order). */
  async #sendEndpointSets(session: TSession, latest: TLatest): Promise<void> {
    const clusters = (latest.config as { clusters?: { name?: unknown; discovery?: unknown }[] }).clusters ?? [];
    const eds = new Set(clusters.filter((c) => c.discovery === "eds").map((c) => String(c.name)));
    if (!eds.size) return;
    const sets = await listClusterEndpointSets(this.#opts.db);
    for (const set of sets) if (eds.has(set.cluster)) this.#sendEndpoints(session, set);
  }

  #sendEndpoints(session: TSession, set: TClusterEndpointSet): boolean {
    if (session.ws.readyState !== WebSocket.OPEN) return false;
    if ((session.edsSent.get(set.cluster) ?? -1) >= set.version) return false;
    session.edsSent.set(set.cluster, set.version);
    session.ws.send(JSON.stringify({ type: "endpoints", cluster: set.cluster, version: set.version, endpoints: set.endpoints }));
    return true;
  }

  async #onHello(session: TSession, hello: THelloMessage): Promise<void> {
    if (session.helloTimer) clearTimeout(session.helloTimer);
    session.helloTimer = null;
    session.nodeId = hello.nodeId;
    session.appliedVersion = hello.appliedVersion;
    session.appliedHash = hello.appliedHash;

    const previous = this.#nodes.get(hello.nodeId);
    this.#nodes.set(hello.nodeId, session);
    if (previous && previous !== session) {
      this.#opts.log("xds_node_replaced", { nodeId: hello.nodeId, remoteAddress: session.remoteAddress });
      this.#sendError(previous, "replaced", "a newer connection with the same node id took over");
      previous.ws.close(XDS_CLOSE.replaced, "replaced by a newer connection with the same node id");
    }
    this.#opts.log("xds_node_connected", {
      nodeId: hello.nodeId,
      group: hello.group,
      remoteAddress: session.remoteAddress,
      appliedVersion: hello.appliedVersion,
      proxyVersion: hello.proxyVersion,
    });
    this.#write(session, "recordNodeHello", () => recordNodeHello(this.#opts.db, { ...hello, remoteAddress: session.remoteAddress }));

    try {
      const latest = await this.#latest();
      if (latest) {
        this.#sendSnapshot(session, latest);
        await this.#sendEndpointSets(session, latest);
      }
    } catch (err) {
      this.#opts.log("xds_db_error", { op: "getLatestVersion", nodeId: hello.nodeId, error: errorMessage(err) });
    }
  }

  /** Sends `latest` unless the node serves it already or this connection got it (or newer). */
  #sendSnapshot(session: TSession, latest: TLatest): boolean {
    if (session.ws.readyState !== WebSocket.OPEN) return false;
    if (session.appliedVersion === latest.version && session.appliedHash === latest.hash) return false;
    if (session.sentVersion !== null) {
      // A hello's lookup can finish after a notification already pushed something newer.
      if (latest.version < session.sentVersion) return false;
      if (latest.version === session.sentVersion && latest.hash === session.sentHash) return false;
    }
    session.sentVersion = latest.version;
    session.sentHash = latest.hash;
    session.ws.send(JSON.stringify({ type: "snapshot", version: latest.version, hash: latest.hash, config: latest.config }));
    this.#opts.log("xds_snapshot_sent", { nodeId: session.nodeId, version: latest.version, hash: latest.hash });
    return true;
  }

  async #latest(): Promise<TLatest | null> {
    const v = await getLatestVersion(this.#opts.db);
    return v ? { version: v.version, hash: v.hash, config: v.config } : null;
  }

  #onClose(session: TSession, code: number, reason: string): void {
    if (session.helloTimer) clearTimeout(session.helloTimer);
    this.#sessions.delete(session);
    const nodeId = session.nodeId;
    if (nodeId === null) return;
    // A replaced connection must not mark its node disconnected: the newer one serves it.
    if (this.#nodes.get(nodeId) !== session) return;
    this.#nodes.delete(nodeId);
    this.#opts.log("xds_node_disconnected", { nodeId, code, reason });
    this.#write(session, "recordNodeDisconnected", () => recordNodeDisconnected(this.#opts.db, nodeId));
  }

  #beat(): void {
    for (const session of this.#sessions) {
      if (session.ws.readyState !== WebSocket.OPEN) continue;
      if (session.missedPongs >= MAX_MISSED_PONGS) {
        this.#opts.log("xds_heartbeat_timeout", { nodeId: session.nodeId, missedPongs: session.missedPongs });
        session.ws.terminate();
        continue;
      }
      session.missedPongs++;
      session.ws.ping();
    }
  }

  #refuseFrame(session: TSession, error: string): void {
    this.#opts.log("xds_bad_frame", { nodeId: session.nodeId, remoteAddress: session.remoteAddress, error });
    this.#sendError(session, "bad_frame", error);
  }

  #sendError(session: TSession, code: string, message: string): void {
    if (session.ws.readyState !== WebSocket.OPEN) return;
    session.ws.send(JSON.stringify({ type: "error", code, message }));
  }

  /** Queues a registry write behind this connection's earlier ones; failures are logged, never thrown. */
  #write(session: TSession, op: string, fn: () => Promise<unknown>): void {
    session.dbChain = session.dbChain.then(
      () =>
        fn().then(
          () => undefined,
          (err: unknown) => this.#opts.log("xds_db_error", { op, nodeId: session.nodeId, error: errorMessage(err) }),
        ),
    );
  }
}

/** Answers an upgrade we refuse with a plain HTTP response, then closes the socket. */
function refuseUpgrade(socket: Duplex, status: 401 | 503, message: string): void {
  const body = JSON.stringify({ error: message });
  const statusText = status === 401 ? "Unauthorized" : "Service Unavailable";
  const extra = status === 401 ? 'WWW-Authenticate: Bearer realm="switchyard-xds"\r\n' : "";
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\n${extra}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The registry keeps one error string per node: the message plus the first issues. */
function nackText(error: string, issues: readonly { path: string; message: string }[]): string {
  if (!issues.length) return error;
  const shown = issues.slice(0, 5).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
  const more = issues.length > 5 ? `\n(+${issues.length - 5} more)` : "";
  return `${error}\n${shown.join("\n")}${more}`;
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return data.toString("utf8");
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
