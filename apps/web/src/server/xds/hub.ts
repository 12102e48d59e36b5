import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, WebSocket, type RawData } from "ws";
import { ZNodeToConsoleMessage, decodeMessage, type THelloMessage } from "@switchyard/config-model";
import {
  recordNodeClusterStatus,
  recordNodeEndpointAck,
  getDeployTargets,
  targetOf,
  recordNodeAck,
  recordNodeDisconnected,
  recordNodeHello,
  recordNodeNack,
  touchNode,
  type Db,
} from "@switchyard/db";
import { bearerToken, bearerTokenMatches } from "./bearer.ts";
import type { TStatsResult, TTelemetryIngest } from "../telemetry/ingest.ts";
import { SnapshotCache, type TCachedEndpoints, type TCachedSnapshot } from "./snapshot-cache.ts";

export type TXdsLog = (event: string, fields?: Record<string, unknown>) => void;

/**
 * What the hub asks of the rest of the console (wired in xds/index.ts): node
 * authentication, the rollout reactions to acks and nacks. Telemetry frames go to
 * `telemetry` (the SLO guard reads the stored stats).
 */
export type TXdsHooks = {
  /** Decides on the bearer token of an upgrade; `group` null = any group. */
  authorize?(token: string | null): Promise<{ ok: true; group: string | null } | { ok: false; reason: string }>;
  /** A node was refused (bad token, wrong group): recorded where operators see it. */
  onRefused?(info: { nodeId: string | null; group: string | null; remoteAddress: string | undefined; reason: string }): void;
  onAck?(node: { nodeId: string; group: string }, version: number): Promise<void>;
  onNack?(node: { nodeId: string; group: string }, version: number, error: string): Promise<void>;
};

export type TXdsHubOptions = {
  db: Db;
  nodeToken?: string;
  log: TXdsLog;
  hooks?: TXdsHooks;
  /** Ping interval; a node that misses 2 pongs is terminated. Default 15 000. */
  heartbeatIntervalMs?: number;
  /** Time a new connection has to send `hello`. Default 5 000. */
  helloTimeoutMs?: number;
  /** Stores stats / health / spans frames; without it they are only counted. */
  telemetry?: TTelemetryIngest;
};

/** Telemetry frames received since start (stored through `telemetry` when it is given). */
export type TTelemetryCounts = { stats: number; health: number; spans: number };

/** Close codes the hub uses (4000-4999 is the application range). */
export const XDS_CLOSE = {
  replaced: 4000,
  helloTimeout: 4001,
  heartbeatTimeout: 4002,
  wrongGroup: 4003,
  shuttingDown: 1001,
} as const;

const DEFAULT_HEARTBEAT_MS = 15_000;
const DEFAULT_HELLO_TIMEOUT_MS = 5_000;
const MAX_MISSED_PONGS = 2;
/** Snapshots are the biggest frames a node sends back only as acks; telemetry batches are small. */
const MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;
const CLOSE_GRACE_MS = 2_000;

/** One WebSocket connection; it becomes a node once its hello arrives. */
type TSession = {
  ws: WebSocket;
  remoteAddress: string | undefined;
  nodeId: string | null;
  group: string;
  /** The group the node's token admits; null = any (the env token, or no token required). */
  tokenGroup: string | null;
  /** Generation of the last target computation acted on: an older one is never applied after it. */
  generation: number;
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
  /** When lastSeen was last written for this node (#touch). */
  touchedAt: number;
  /** The stats interval this node was last asked for (statsPace; 0 = its own). */
  pacedMs: number;
};

/** lastSeen is written at most this often per node (GET /nodes shows it to the second; the heartbeat is 15 s). */
const TOUCH_EVERY_MS = 10_000;

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
  #generation = 0;
  /** Versions are immutable: each is read and serialized once, shared by every connection. */
  readonly #cache: SnapshotCache;

  constructor(opts: TXdsHubOptions) {
    this.#opts = opts;
    this.#cache = new SnapshotCache(opts.db);
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD_BYTES });
    this.#heartbeat = setInterval(() => this.#beat(), opts.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_MS);
  }

  connectedNodeIds(): string[] {
    return [...this.#nodes.keys()].sort();
  }

  telemetryCounts(): TTelemetryCounts {
    return { ...this.#telemetry };
  }

  /** Snapshots serialized since start: one per version, whatever the number of nodes it went to. */
  snapshotSerializations(): number {
    return this.#cache.serializations();
  }

  /**
   * Re-reads what NOTIFYs carry (the managed endpoint sets), then pushes every node's
   * target: at start, and after the LISTEN connection was lost (notifications are lost with it).
   */
  async resync(): Promise<void> {
    await this.#cache.reloadEndpoints();
    await this.pushLatest();
  }

  /** Takes over an upgrade request already known to be for /api/xds. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => undefined);
    const remoteAddress = req.socket.remoteAddress;
    if (this.#closed) {
      refuseUpgrade(socket, 503, "console is shutting down");
      return;
    }
    void this.#authorize(req.headers.authorization).then(
      (result) => {
        if (socket.destroyed) return;
        if (!result.ok) {
          this.#opts.log("xds_unauthorized", { remoteAddress, reason: result.reason });
          this.#opts.hooks?.onRefused?.({ nodeId: null, group: null, remoteAddress, reason: result.reason });
          refuseUpgrade(socket, 401, `unauthorized: ${result.reason}`);
          return;
        }
        this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws, remoteAddress, result.group));
      },
      (err: unknown) => {
        this.#opts.log("xds_db_error", { op: "authorize", remoteAddress, error: errorMessage(err) });
        if (!socket.destroyed) refuseUpgrade(socket, 503, "cannot check the node token now");
      },
    );
  }

  /** The env token admits any group; otherwise the hooks decide (DB node tokens). */
  async #authorize(header: string | string[] | undefined): Promise<{ ok: true; group: string | null } | { ok: false; reason: string }> {
    const envToken = this.#opts.nodeToken;
    if (envToken && bearerTokenMatches(header, envToken)) return { ok: true, group: null };
    const token = bearerToken(header);
    if (this.#opts.hooks?.authorize) return this.#opts.hooks.authorize(token);
    if (!envToken) return { ok: true, group: null };
    return { ok: false, reason: header ? "wrong node token" : "missing Authorization: Bearer <node token>" };
  }

  /**
   * Called on every NOTIFY config_version (from any replica): recompute each node's
   * target (its group's version, else the stable one) and send it where it differs.
   */
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
        const generation = ++this.#generation;
        const targets = await getDeployTargets(this.#opts.db);
        if (this.#closed) continue;
        let sent = 0;
        const versions = new Set<number>();
        for (const session of this.#nodes.values()) {
          const target = targetOf(targets, session.group);
          if (!target) continue;
          const snapshot = await this.#cache.snapshot(target.version);
          if (!snapshot) continue;
          if (this.#sendSnapshot(session, snapshot, generation)) {
            sent++;
            versions.add(snapshot.version);
          }
          // A version may add eds clusters (or re-enable ones whose sets were refused).
          this.#sendEndpointSets(session, snapshot);
        }
        this.#opts.log("xds_version_pushed", { versions: [...versions], nodes: sent });
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

  #onConnection(ws: WebSocket, remoteAddress: string | undefined, tokenGroup: string | null): void {
    const session: TSession = {
      ws,
      remoteAddress,
      nodeId: null,
      group: "default",
      tokenGroup,
      generation: 0,
      appliedVersion: null,
      appliedHash: null,
      sentVersion: null,
      sentHash: null,
      missedPongs: 0,
      helloTimer: null,
      dbChain: Promise.resolve(),
      edsSent: new Map(),
      touchedAt: 0,
      pacedMs: 0,
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
      if (session.nodeId && this.#nodes.get(session.nodeId) === session) this.#touch(session);
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
    const hooks = this.#opts.hooks;
    const node = { nodeId, group: session.group };
    switch (msg.type) {
      case "ack":
        session.appliedVersion = msg.version;
        session.appliedHash = msg.hash;
        this.#opts.log("xds_ack", { nodeId, version: msg.version, hash: msg.hash });
        this.#write(session, "recordNodeAck", () => recordNodeAck(db, nodeId, msg.version, msg.hash));
        if (hooks?.onAck) this.#write(session, "onAck", () => hooks.onAck!(node, msg.version));
        return;
      case "nack": {
        const text = nackText(msg.error, msg.issues);
        this.#opts.log("xds_nack", { nodeId, version: msg.version, error: msg.error, issues: msg.issues.length });
        this.#write(session, "recordNodeNack", () => recordNodeNack(db, nodeId, msg.version, text));
        // A nack from a canary node stops its rollout (rollout service).
        if (hooks?.onNack) this.#write(session, "onNack", () => hooks.onNack!(node, msg.version, text));
        return;
      }
      case "stats": {
        // Validated above. Stored stats feed the dashboards and the rollout SLO guard.
        this.#telemetry.stats++;
        this.#touch(session);
        if (msg.dropped || msg.droppedSpans) this.#opts.log("xds_node_dropped_telemetry", { nodeId, windows: msg.dropped, spans: msg.droppedSpans });
        const store = this.#opts.telemetry;
        if (!store) return;
        // Merged into the pre-aggregation at once (nothing queues per frame); written in batches.
        const result = store.stats(node, msg);
        if (!result.ok && result.reason === "invalid") this.#refuseFrame(session, result.error);
        this.#pace(session, store.statsPace(), result);
        return;
      }
      case "health": {
        this.#telemetry.health++;
        const store = this.#opts.telemetry;
        if (store) this.#write(session, "storeHealth", () => store.health(nodeId, msg));
        return;
      }
      case "spans": {
        this.#telemetry.spans++;
        const store = this.#opts.telemetry;
        if (store) this.#write(session, "storeSpans", () => store.spans(nodeId, msg));
        return;
      }
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

  /** Called on every NOTIFY cluster_endpoints (from any replica): one read, then that cluster's set to every node. */
  async pushEndpoints(cluster: string): Promise<void> {
    const cached = await this.#cache.refreshEndpoints(cluster);
    if (!cached || this.#closed) return;
    let sent = 0;
    for (const session of this.#nodes.values()) if (this.#sendEndpoints(session, cached)) sent++;
    this.#opts.log("xds_endpoints_pushed", { cluster, version: cached.set.version, endpoints: cached.set.endpoints.length, nodes: sent });
  }

  /** Sends the managed sets of the snapshot's eds clusters, from memory (after its snapshot, same socket order). */
  #sendEndpointSets(session: TSession, snapshot: TCachedSnapshot): void {
    for (const cached of this.#cache.endpointsFor(snapshot)) this.#sendEndpoints(session, cached);
  }

  #sendEndpoints(session: TSession, { set, frame }: TCachedEndpoints): boolean {
    if (session.ws.readyState !== WebSocket.OPEN) return false;
    if ((session.edsSent.get(set.cluster) ?? -1) >= set.version) return false;
    session.edsSent.set(set.cluster, set.version);
    session.ws.send(frame, { binary: false });
    return true;
  }

  async #onHello(session: TSession, hello: THelloMessage): Promise<void> {
    if (session.helloTimer) clearTimeout(session.helloTimer);
    session.helloTimer = null;
    if (session.tokenGroup !== null && hello.group !== session.tokenGroup) {
      const reason = `its node token admits group "${session.tokenGroup}", not "${hello.group}"`;
      this.#opts.log("xds_unauthorized", { nodeId: hello.nodeId, group: hello.group, remoteAddress: session.remoteAddress, reason });
      this.#opts.hooks?.onRefused?.({ nodeId: hello.nodeId, group: hello.group, remoteAddress: session.remoteAddress, reason });
      this.#sendError(session, "wrong_group", reason);
      session.ws.close(XDS_CLOSE.wrongGroup, "node token of another group");
      return;
    }
    session.nodeId = hello.nodeId;
    session.group = hello.group;
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
      const generation = ++this.#generation;
      const target = targetOf(await getDeployTargets(this.#opts.db), hello.group);
      const snapshot = target ? await this.#cache.snapshot(target.version) : null;
      if (snapshot) {
        this.#sendSnapshot(session, snapshot, generation);
        this.#sendEndpointSets(session, snapshot);
      }
    } catch (err) {
      this.#opts.log("xds_db_error", { op: "getDeployTargets", nodeId: hello.nodeId, error: errorMessage(err) });
    }
  }

  /**
   * Sends the target unless the node serves it already or this connection got it. A
   * target may be OLDER than what was sent (a canary rolled back), so order comes from
   * the generation of the computation instead: a hello's lookup that finishes after a
   * notification's newer computation is dropped.
   */
  #sendSnapshot(session: TSession, latest: TCachedSnapshot, generation: number): boolean {
    if (session.ws.readyState !== WebSocket.OPEN) return false;
    if (generation < session.generation) return false;
    session.generation = generation;
    if (session.appliedVersion === latest.version && session.appliedHash === latest.hash) return false;
    if (session.sentVersion === latest.version && session.sentHash === latest.hash) return false;
    session.sentVersion = latest.version;
    session.sentHash = latest.hash;
    // The frame serialized once for every node (a text frame: the protocol is JSON text).
    session.ws.send(latest.frame, { binary: false });
    this.#opts.log("xds_snapshot_sent", { nodeId: session.nodeId, version: latest.version, hash: latest.hash });
    return true;
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

  /** lastSeen, at most every TOUCH_EVERY_MS per node: one registry write per frame was most of the console's writes at fleet scale. */
  #touch(session: TSession): void {
    const nodeId = session.nodeId;
    const now = Date.now();
    // Never rarer than the heartbeat: other replicas count a row silent for 4 heartbeats as stale.
    if (nodeId === null || now - session.touchedAt < Math.min(TOUCH_EVERY_MS, this.#opts.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_MS)) return;
    session.touchedAt = now;
    this.#write(session, "touchNode", () => touchNode(this.#opts.db, nodeId));
  }

  /**
   * Tells a node the stats interval to use when it differs from what it was told last
   * (statsPace): longer while the telemetry store is behind, back to its own once it caught
   * up. A window refused as overloaded is logged (and counted by the ingest) too.
   */
  #pace(session: TSession, intervalMs: number, result: TStatsResult): void {
    if (!result.ok && result.reason === "overloaded") this.#opts.log("xds_stats_overloaded", { nodeId: session.nodeId, askedIntervalMs: intervalMs });
    if (intervalMs === session.pacedMs || session.ws.readyState !== WebSocket.OPEN) return;
    session.pacedMs = intervalMs;
    session.ws.send(JSON.stringify({ type: "statsPace", intervalMs }));
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
