import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, WebSocket, type RawData } from "ws";
import { ZNodeToConsoleMessage, decodeMessage, type THealthMessage, type THelloMessage, type TSpansMessage, type TStatsMessage } from "@switchyard/config-model";
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
import { frameCost, newNodeBudget, NODE_LIMITS, NodeBudgets, telemetryTimeProblem, type TNodeBudget } from "./node-limits.ts";

export type TXdsLog = (event: string, fields?: Record<string, unknown>) => void;

/**
 * What the hub asks of the rest of the console (wired in xds/index.ts): node
 * authentication, the rollout reactions to acks and nacks. Telemetry frames go to
 * `telemetry` (the SLO guard reads the stored stats).
 */
export type TAuthorized = { ok: true; group: string | null; tokenId?: string | null };

export type TXdsHooks = {
  /** Decides on the bearer token of an upgrade; `group` null = any group; `tokenId`: the node token (its revocation closes the session). */
  authorize?(token: string | null): Promise<TAuthorized | { ok: false; reason: string }>;
  /** The group a node id is registered in, or null when it is new. */
  registeredGroup?(nodeId: string): Promise<string | null>;
  /** A node was refused (bad token, wrong group): recorded where operators see it. */
  onRefused?(info: { nodeId: string | null; group: string | null; remoteAddress: string | undefined; reason: string }): void;
  onAck?(node: { nodeId: string; group: string }, version: number): Promise<void>;
  onNack?(node: { nodeId: string; group: string }, version: number, error: string): Promise<void>;
  /** A node's registry row changed (hello, ack, nack, disconnect, cluster status): open console pages are told. */
  onRegistryChange?(): void;
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

/** Telemetry frames received since start (stored through `telemetry` when it is given); `limited`: frames dropped by NODE_LIMITS. */
export type TTelemetryCounts = { stats: number; health: number; spans: number; limited: number };

/** Close codes the hub uses (4000-4999 is the application range). */
export const XDS_CLOSE = {
  replaced: 4000,
  helloTimeout: 4001,
  heartbeatTimeout: 4002,
  wrongGroup: 4003,
  tokenRevoked: 4004,
  shuttingDown: 1001,
} as const;

const DEFAULT_HEARTBEAT_MS = 15_000;
const DEFAULT_HELLO_TIMEOUT_MS = 5_000;
const MAX_MISSED_PONGS = 2;
/**
 * The largest frame a node may send: a full stats frame (WIRE_LIMITS.statsEntries) is about
 * 1 MB. Decoding costs the event loop about 20 ms a MB, so this also bounds one frame's stall.
 */
const MAX_PAYLOAD_BYTES = 2 * 1024 * 1024;
const CLOSE_GRACE_MS = 2_000;

/** One WebSocket connection; it becomes a node once its hello arrives. */
type TSession = {
  ws: WebSocket;
  remoteAddress: string | undefined;
  nodeId: string | null;
  group: string;
  /** The group the node's token admits; null = any (the env token, or no token required). */
  tokenGroup: string | null;
  /** The node token (console-made) the connection came with; null for the env token or none. */
  tokenId: string | null;
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
  /** The connection's budget until hello, then its node's (NODE_LIMITS). */
  budget: TNodeBudget;
  /** Telemetry writes queued behind dbChain. */
  pendingTelemetry: number;
  /** When the node was last told it is over its limits (at most once per LIMITED_NOTICE_MS). */
  limitedNoticeAt: number;
  /** The socket is not read until the byte budget refills (#pauseReading). */
  paused: boolean;
  /** Frames that came while hello was being checked, replayed once it is (at most EARLY_FRAMES_MAX_BYTES). */
  early: { data: RawData; isBinary: boolean }[] | null;
  earlyBytes: number;
  /** When lastSeen was last written for this node (#touch). */
  touchedAt: number;
  /** The stats interval this node was last asked for (statsPace; 0 = its own). */
  pacedMs: number;
};

/** lastSeen is written at most this often per node (GET /nodes shows it to the second; the heartbeat is 15 s). */
const TOUCH_EVERY_MS = 10_000;

/** What a node may send between its hello and the console's answer to it (a proxy flushes its queue then). */
const EARLY_FRAMES_MAX_BYTES = 4 * 1024 * 1024;

/** A node over its limits hears about it (and the log shows it) at most this often. */
const LIMITED_NOTICE_MS = 10_000;

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
  readonly #telemetry: TTelemetryCounts = { stats: 0, health: 0, spans: 0, limited: 0 };
  readonly #budgets = new NodeBudgets();
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
        this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws, remoteAddress, result.group, result.tokenId ?? null));
      },
      (err: unknown) => {
        this.#opts.log("xds_db_error", { op: "authorize", remoteAddress, error: errorMessage(err) });
        if (!socket.destroyed) refuseUpgrade(socket, 503, "cannot check the node token now");
      },
    );
  }

  /** The env token admits any group; otherwise the hooks decide (DB node tokens). */
  async #authorize(header: string | string[] | undefined): Promise<TAuthorized | { ok: false; reason: string }> {
    const envToken = this.#opts.nodeToken;
    if (envToken && bearerTokenMatches(header, envToken)) return { ok: true, group: null };
    const token = bearerToken(header);
    if (this.#opts.hooks?.authorize) return this.#opts.hooks.authorize(token);
    if (!envToken) return { ok: true, group: null };
    return { ok: false, reason: header ? "wrong node token" : "missing Authorization: Bearer <node token>" };
  }

  /**
   * Called on every NOTIFY config_version (from any replica): recompute each node's
   * target (its group's version, or its step's in a stepped rollout, else the stable one)
   * and send it where it differs.
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
        for (const [nodeId, session] of this.#nodes) {
          const target = targetOf(targets, { id: nodeId, group: session.group });
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

  #onConnection(ws: WebSocket, remoteAddress: string | undefined, tokenGroup: string | null, tokenId: string | null): void {
    const session: TSession = {
      ws,
      remoteAddress,
      nodeId: null,
      group: "default",
      tokenGroup,
      tokenId,
      generation: 0,
      appliedVersion: null,
      appliedHash: null,
      sentVersion: null,
      sentHash: null,
      missedPongs: 0,
      helloTimer: null,
      dbChain: Promise.resolve(),
      edsSent: new Map(),
      budget: newNodeBudget(),
      pendingTelemetry: 0,
      limitedNoticeAt: 0,
      paused: false,
      early: null,
      earlyBytes: 0,
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
    if (session.early) {
      const bytes = rawLength(data);
      if (session.earlyBytes + bytes > EARLY_FRAMES_MAX_BYTES) this.#limited(session, `more than ${EARLY_FRAMES_MAX_BYTES} bytes before hello was answered`);
      else {
        session.earlyBytes += bytes;
        session.early.push({ data, isBinary });
      }
      return;
    }
    // Charged before decoding: decoding is the cost a flood would impose.
    const cost = frameCost(rawLength(data));
    if (!session.budget.bytes.spend(cost)) {
      this.#limited(session, `more than ${NODE_LIMITS.bytesPerSecond} bytes a second (burst ${NODE_LIMITS.burstBytes})`);
      // Stop reading the socket until the budget could pay for such a frame again: the
      // flood waits in the sender's buffers (TCP back pressure), not in the console.
      this.#pauseReading(session, (cost / NODE_LIMITS.bytesPerSecond) * 1000);
      return;
    }
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
      // Frames that follow wait for the checks of hello (they need its node id).
      session.early = [];
      void this.#onHello(session, msg).finally(() => {
        const early = session.early ?? [];
        session.early = null;
        session.earlyBytes = 0;
        if (session.nodeId !== null) for (const f of early) this.#onMessage(session, f.data, f.isBinary);
      });
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
    if ((msg.type === "stats" || msg.type === "health" || msg.type === "spans") && !this.#admitTelemetry(session, msg)) return;
    switch (msg.type) {
      case "ack":
        // Only a version that exists, with its hash, is ever recorded as applied.
        this.#write(session, "recordNodeAck", async () => {
          if (!(await this.#versionExists(msg.version, msg.hash))) {
            this.#refuseFrame(session, `ack of version ${msg.version} (${msg.hash.slice(0, 12)}): no such version`);
            return;
          }
          session.appliedVersion = msg.version;
          session.appliedHash = msg.hash;
          this.#opts.log("xds_ack", { nodeId, version: msg.version, hash: msg.hash });
          await recordNodeAck(db, nodeId, msg.version, msg.hash);
          hooks?.onRegistryChange?.();
          await hooks?.onAck?.(node, msg.version);
        });
        return;
      case "nack": {
        const text = nackText(msg.error, msg.issues);
        this.#write(session, "recordNodeNack", async () => {
          if (!(await this.#versionExists(msg.version, msg.hash))) {
            this.#refuseFrame(session, `nack of version ${msg.version}: no such version`);
            return;
          }
          this.#opts.log("xds_nack", { nodeId, version: msg.version, error: msg.error, issues: msg.issues.length });
          await recordNodeNack(db, nodeId, msg.version, text);
          hooks?.onRegistryChange?.();
          // A nack from a canary node stops its rollout (rollout service).
          await hooks?.onNack?.(node, msg.version, text);
        });
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
        const result = store.stats({ ...node, version: session.appliedVersion }, msg);
        if (!result.ok && result.reason === "invalid") this.#refuseFrame(session, result.error);
        this.#pace(session, store.statsPace(), result);
        return;
      }
      case "health": {
        this.#telemetry.health++;
        const store = this.#opts.telemetry;
        if (store) this.#writeTelemetry(session, "storeHealth", () => store.health(nodeId, msg));
        return;
      }
      case "spans": {
        this.#telemetry.spans++;
        const store = this.#opts.telemetry;
        if (store) this.#writeTelemetry(session, "storeSpans", () => store.spans(nodeId, msg));
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
        this.#write(session, "recordNodeClusterStatus", async () => {
          await recordNodeClusterStatus(db, nodeId, msg.clusters);
          hooks?.onRegistryChange?.();
        });
        return;
    }
  }

  /** Node tokens of the open sessions (to re-check after notifications may have been lost). */
  liveTokenIds(): string[] {
    return [...new Set([...this.#sessions].flatMap((s) => (s.tokenId ? [s.tokenId] : [])))];
  }

  /**
   * A node token was revoked (NOTIFY node_token_revoked, from any replica): its sessions
   * close at once. Returns the nodes that were connected with it, for the audit log.
   */
  closeSessionsOfToken(tokenId: string): { nodeId: string | null; remoteAddress: string | undefined }[] {
    const closed: { nodeId: string | null; remoteAddress: string | undefined }[] = [];
    for (const session of this.#sessions) {
      if (session.tokenId !== tokenId || session.ws.readyState === WebSocket.CLOSED) continue;
      closed.push({ nodeId: session.nodeId, remoteAddress: session.remoteAddress });
      this.#opts.log("xds_token_revoked", { nodeId: session.nodeId, tokenId, remoteAddress: session.remoteAddress });
      this.#sendError(session, "token_revoked", "this node token was revoked");
      session.ws.close(XDS_CLOSE.tokenRevoked, "node token revoked");
      // Nothing more is read from it, whatever the close handshake does.
      setTimeout(() => session.ws.terminate(), CLOSE_GRACE_MS).unref();
    }
    return closed;
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
    const taken = await this.#groupTakeover(session, hello).catch(() => "the node registry cannot be read now");
    if (taken) {
      this.#opts.log("xds_unauthorized", { nodeId: hello.nodeId, group: hello.group, remoteAddress: session.remoteAddress, reason: taken });
      this.#opts.hooks?.onRefused?.({ nodeId: hello.nodeId, group: hello.group, remoteAddress: session.remoteAddress, reason: taken });
      this.#sendError(session, "wrong_group", taken);
      session.ws.close(XDS_CLOSE.wrongGroup, "node id of another group");
      return;
    }
    if (session.ws.readyState !== WebSocket.OPEN) return;
    session.nodeId = hello.nodeId;
    session.group = hello.group;
    // The node's own budget from now on: reconnecting does not refill it.
    session.budget = this.#budgets.of(hello.nodeId);
    // What it says it serves counts only if that version exists with that hash.
    const serves = hello.appliedVersion !== null && hello.appliedHash !== null && (await this.#versionExists(hello.appliedVersion, hello.appliedHash).catch(() => false));
    session.appliedVersion = serves ? hello.appliedVersion : null;
    session.appliedHash = serves ? hello.appliedHash : null;
    if (session.ws.readyState !== WebSocket.OPEN) return;

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
    this.#write(session, "recordNodeHello", async () => {
      await recordNodeHello(this.#opts.db, { ...hello, appliedVersion: session.appliedVersion, appliedHash: session.appliedHash, remoteAddress: session.remoteAddress });
      this.#opts.hooks?.onRegistryChange?.();
    });

    try {
      const generation = ++this.#generation;
      const target = targetOf(await getDeployTargets(this.#opts.db), { id: hello.nodeId, group: hello.group });
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
    this.#write(session, "recordNodeDisconnected", async () => {
      await recordNodeDisconnected(this.#opts.db, nodeId);
      this.#opts.hooks?.onRegistryChange?.();
    });
  }

  #beat(): void {
    this.#budgets.prune((id) => this.#nodes.has(id));
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

  /**
   * Why this hello may not take the node id, or null. A node id belongs to the group it is
   * connected or registered in: a token bound to another group can never take it over (nor
   * receive that node's snapshot). The env token (any group) may move a node; an id unseen
   * for SWITCHYARD_NODE_FORGET_HOURS is forgotten and free again.
   */
  async #groupTakeover(session: TSession, hello: THelloMessage): Promise<string | null> {
    if (session.tokenGroup === null) return null;
    const live = this.#nodes.get(hello.nodeId);
    const group = live && live !== session ? live.group : ((await this.#opts.hooks?.registeredGroup?.(hello.nodeId)) ?? null);
    if (group === null || group === hello.group) return null;
    return `node id "${hello.nodeId}" belongs to group "${group}": a node token of group "${session.tokenGroup}" cannot take it over`;
  }

  /** Stats, health and spans: within the node's stats rate, about now, and not piling up behind the database. */
  #admitTelemetry(session: TSession, msg: TStatsMessage | THealthMessage | TSpansMessage): boolean {
    if (msg.type === "stats" && !session.budget.stats.spend()) {
      this.#limited(session, `more than ${NODE_LIMITS.statsPerSecond} stats frames a second (burst ${NODE_LIMITS.statsBurst})`);
      return false;
    }
    const late = telemetryTimeProblem(msg);
    if (late) {
      this.#refuseFrame(session, late);
      return false;
    }
    if (session.pendingTelemetry >= NODE_LIMITS.pendingWrites) {
      this.#limited(session, `more than ${NODE_LIMITS.pendingWrites} telemetry frames waiting for the database`);
      return false;
    }
    return true;
  }

  /** A frame dropped by NODE_LIMITS: counted always, told to the node and logged at most every LIMITED_NOTICE_MS. */
  #limited(session: TSession, why: string): void {
    this.#telemetry.limited++;
    const now = Date.now();
    if (now - session.limitedNoticeAt < LIMITED_NOTICE_MS) return;
    session.limitedNoticeAt = now;
    this.#opts.log("xds_node_limited", { nodeId: session.nodeId, remoteAddress: session.remoteAddress, why });
    this.#sendError(session, "limited", `frames dropped: ${why}`);
  }

  /** Reads nothing from the node for `ms` (at most NODE_LIMITS.maxPauseMs, well inside the heartbeat). */
  #pauseReading(session: TSession, ms: number): void {
    if (session.paused || session.ws.readyState !== WebSocket.OPEN) return;
    session.paused = true;
    session.ws.pause();
    setTimeout(() => {
      session.paused = false;
      if (session.ws.readyState === WebSocket.OPEN) session.ws.resume();
    }, Math.min(ms, NODE_LIMITS.maxPauseMs)).unref();
  }

  /** A published version with this hash (when given) exists; acks and nacks of others are refused. */
  async #versionExists(version: number, hash: string | undefined): Promise<boolean> {
    const snapshot = await this.#cache.snapshot(version);
    return snapshot !== null && (hash === undefined || snapshot.hash === hash);
  }

  #refuseFrame(session: TSession, error: string): void {
    this.#opts.log("xds_bad_frame", { nodeId: session.nodeId, remoteAddress: session.remoteAddress, error });
    this.#sendError(session, "bad_frame", error);
  }

  #sendError(session: TSession, code: string, message: string): void {
    if (session.ws.readyState !== WebSocket.OPEN) return;
    session.ws.send(JSON.stringify({ type: "error", code, message }));
  }

  /** A telemetry write: queued like any other, counted so a node cannot pile them up (NODE_LIMITS.pendingWrites). */
  #writeTelemetry(session: TSession, op: string, fn: () => Promise<unknown>): void {
    session.pendingTelemetry++;
    this.#write(session, op, () => fn().finally(() => session.pendingTelemetry--));
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

function rawLength(data: RawData): number {
  return Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return data.toString("utf8");
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
