import WebSocket from "ws";
import type { RawData } from "ws";
import type { IncomingMessage } from "node:http";
import {
  ZConsoleToNodeMessage,
  ZHelloMessage,
  decodeMessage,
  type TConfigIssue,
  type TEndpointsMessage,
  type TNodeToConsoleMessage,
  type TProxyCapabilities,
  type TSnapshotMessage,
} from "@switchyard/config-model";
import { Backoff, type TBackoffOptions } from "./backoff.ts";

/**
 * The node's end of the control-plane stream (DESIGN.md §2 "Stream"/"Apply"/"Survive").
 *
 * One WebSocket to the console; the first frame is `hello` with the version the node
 * serves; every `snapshot` is applied one at a time and answered with `ack` or `nack`.
 * The client never throws: every failure (bad URL, refused token, bad frame, apply that
 * throws, a dead console) is logged and the client keeps reconnecting until `close()`.
 */

export type TAppliedVersion = { version: number; hash: string };
/** PEM contents; `ca` replaces the default trust store (see control-plane/tls.ts). */
export type TControlPlaneTls = { ca?: (string | Buffer)[]; cert?: string | Buffer; key?: string | Buffer };
export type TSnapshot = { version: number; hash: string; config: unknown };
export type TApplyResult = { ok: true } | { ok: false; error: string; issues: TConfigIssue[] };
export type TControlPlaneLog = (event: string, fields?: Record<string, unknown>) => void;

export type TControlPlaneClientOptions = {
  /** ws:// or wss:// URL of the console's /api/xds. */
  url: string;
  nodeId: string;
  group: string;
  /** Sent as `Authorization: Bearer <token>` on the upgrade request when set. */
  token?: string;
  /** wss:// only: trusted CAs for the console's certificate, and this node's client certificate. */
  tls?: TControlPlaneTls;
  labels?: Record<string, string>;
  proxyVersion: string;
  /** Announced in hello, so the console does not publish what this node cannot enforce. */
  capabilities?: Partial<TProxyCapabilities>;
  /** host:port of the admin server, announced in hello (the console's Prometheus discovery lists it). */
  adminAddress?: string;
  /** The version serving now (from the cache or an earlier apply), reported in `hello`. */
  getApplied: () => TAppliedVersion | null;
  /** Validates, compiles and swaps a snapshot; called one at a time, never concurrently. */
  apply: (snapshot: TSnapshot) => Promise<TApplyResult>;
  /**
   * Serves an eds cluster's pushed endpoints (an `endpoints` frame); answered with
   * endpointsAck / endpointsNack. Runs after any snapshot received before it has applied,
   * so endpoints of a cluster a newer snapshot introduces find their cluster.
   */
  applyEndpoints?: (msg: TEndpointsMessage) => { ok: true } | { ok: false; error: string };
  /** Called after each hello (e.g. to send the current clusterStatus). */
  onConnected?: () => void;
  log: TControlPlaneLog;
  /** Reconnect back-off; default base 500 ms, cap 30 s, full jitter. */
  backoff?: TBackoffOptions;
  /** Keepalive ping interval; the connection is terminated after 2 unanswered pings. Default 15 000. */
  keepaliveIntervalMs?: number;
  /** A connection that stayed up this long resets the back-off. Default 10 000. */
  stableAfterMs?: number;
  /** Time allowed for the WebSocket handshake. Default 10 000. */
  handshakeTimeoutMs?: number;
  /** Telemetry messages kept while the console is away; the oldest is dropped beyond. Default 256. */
  sendQueueMax?: number;
};

/** Telemetry a node sends on its own initiative (stats windows, health transitions, span batches). */
export type TTelemetryMessage = { type: "stats" | "health" | "spans" } & Record<string, unknown>;
export type TDroppedCounts = { stats: number; spans: number; health: number };

export type TControlPlaneClient = {
  /** Stops reconnecting and closes the socket; resolves once it is closed. */
  close(): Promise<void>;
  /** True while a socket to the console is open. */
  connected(): boolean;
  /** Sends a node -> console frame when connected; false when there is no open socket. */
  send(message: TNodeToConsoleMessage): boolean;
  /**
   * Sends a telemetry message now, or queues it (bounded) until the next connection's
   * hello went out. Never throws; false when the queue was full and the OLDEST message
   * was dropped to make room (telemetry is freshest-first).
   */
  sendTelemetry(message: TTelemetryMessage): boolean;
  /** Items lost by the send queue since the last call (windows, spans, health events); resets them. */
  takeDropped(): TDroppedCounts;
  /** The stats interval the console asks for now (statsPace: its store is behind); 0 = our own. */
  statsPace(): number;
};

const DEFAULT_KEEPALIVE_MS = 15_000;
const DEFAULT_STABLE_AFTER_MS = 10_000;
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Pings that may go unanswered before the connection is declared dead. */
const MAX_MISSED_PONGS = 2;
/** How long close() waits for the close handshake before it terminates the socket. */
const CLOSE_GRACE_MS = 2_000;
const DEFAULT_SEND_QUEUE_MAX = 256;
/** Telemetry is dropped while the socket holds more than this unsent (a slow console). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export function startControlPlaneClient(opts: TControlPlaneClientOptions): TControlPlaneClient {
  const client = new ControlPlaneClient(opts);
  client.start();
  return {
    close: () => client.close(),
    connected: () => client.connected(),
    send: (m) => client.sendNow(m),
    sendTelemetry: (m) => client.sendTelemetry(m),
    takeDropped: () => client.takeDropped(),
    statsPace: () => client.statsPace(),
  };
}

class ControlPlaneClient {
  readonly #opts: TControlPlaneClientOptions;
  readonly #backoff: Backoff;
  #ws: WebSocket | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #keepaliveTimer: NodeJS.Timeout | null = null;
  #missedPongs = 0;
  #openedAt = 0;
  /**
   * State of the world: only the newest snapshot matters, so while one applies, a newer
   * arrival replaces whatever is waiting. Order is kept (nothing older runs after
   * something newer) and a superseded snapshot is neither applied nor acked — acking a
   * version that never served would be a lie.
   */
  #pending: TSnapshotMessage | null = null;
  /** eds pushes waiting for the snapshot queue; only the newest per cluster matters. */
  readonly #pendingEndpoints = new Map<string, TEndpointsMessage>();
  #applying = false;
  /** Telemetry waiting for a connection (bounded by sendQueueMax). */
  #outbox: TTelemetryMessage[] = [];
  #helloSent = false;
  /** The stats interval the console asked for (statsPace); 0 = our own. Reset on every connection. */
  #statsPaceMs = 0;
  #dropped: TDroppedCounts = { stats: 0, spans: 0, health: 0 };

  constructor(opts: TControlPlaneClientOptions) {
    this.#opts = opts;
    this.#backoff = new Backoff(opts.backoff);
  }

  start(): void {
    this.#connect();
  }

  sendNow(message: TNodeToConsoleMessage): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    this.#send(ws, message);
    return true;
  }

  connected(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  sendTelemetry(message: TTelemetryMessage): boolean {
    const ws = this.#ws;
    if (ws && this.#helloSent && ws.readyState === WebSocket.OPEN && this.#outbox.length === 0) {
      // A console that reads slower than we report must not grow the socket's buffer
      // without bound: beyond MAX_BUFFERED_BYTES telemetry is dropped (and counted).
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        this.#countDropped(message);
        return false;
      }
      this.#send(ws, message);
      return true;
    }
    this.#outbox.push(message);
    const max = this.#opts.sendQueueMax ?? DEFAULT_SEND_QUEUE_MAX;
    if (this.#outbox.length <= max) return true;
    this.#countDropped(this.#outbox.shift() as TTelemetryMessage);
    return false;
  }

  #countDropped(lost: TTelemetryMessage): void {
    this.#dropped[lost.type] += lost.type === "spans" ? (lost.spans as unknown[]).length : lost.type === "health" ? (lost.events as unknown[]).length : 1;
  }

  statsPace(): number {
    return this.#statsPaceMs;
  }

  takeDropped(): TDroppedCounts {
    const d = this.#dropped;
    this.#dropped = { stats: 0, spans: 0, health: 0 };
    return d;
  }

  #flushOutbox(ws: WebSocket): void {
    const queued = this.#outbox;
    this.#outbox = [];
    for (const m of queued) this.#send(ws, m);
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    this.#clearTimers();
    const ws = this.#ws;
    this.#closing = new Promise<void>((resolve) => {
      if (!ws || ws.readyState === WebSocket.CLOSED) return resolve();
      const grace = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
      ws.once("close", () => {
        clearTimeout(grace);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, "node shutting down");
    });
    return this.#closing;
  }

  #log(event: string, fields?: Record<string, unknown>): void {
    try {
      this.#opts.log(event, fields);
    } catch {
      // A broken logger must not take the control plane down with it.
    }
  }

  #getApplied(): TAppliedVersion | null {
    try {
      return this.#opts.getApplied();
    } catch (err) {
      this.#log("control_plane_get_applied_failed", { error: errorMessage(err) });
      return null;
    }
  }

  #connect(): void {
    if (this.#closed) return;
    const headers: Record<string, string> = {};
    if (this.#opts.token) headers.authorization = `Bearer ${this.#opts.token}`;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.#opts.url, {
        headers,
        // Certificates are always verified (ws's default); these only say against what, and who we are.
        ...this.#opts.tls,
        handshakeTimeout: this.#opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      });
    } catch (err) {
      // ws throws synchronously on a malformed URL; retrying will not fix it, but the
      // contract is "never throw, keep trying", and the log says what is wrong.
      this.#log("control_plane_connect_failed", { url: this.#opts.url, error: errorMessage(err) });
      this.#scheduleReconnect();
      return;
    }
    this.#ws = ws;
    this.#log("control_plane_connecting", { url: this.#opts.url, attempt: this.#backoff.attempt });

    ws.on("open", () => this.#onOpen(ws));
    ws.on("message", (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on("pong", () => {
      this.#missedPongs = 0;
    });
    ws.on("unexpected-response", (_req, res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status === 401 || status === 403) {
        this.#log("control_plane_unauthorized", {
          url: this.#opts.url,
          status,
          hint: this.#opts.token
            ? "the console refused the node token (check SWITCHYARD_NODE_TOKEN)"
            : "the console requires a node token (set --token or SWITCHYARD_NODE_TOKEN)",
        });
      } else {
        this.#log("control_plane_upgrade_refused", { url: this.#opts.url, status, statusMessage: res.statusMessage });
      }
      res.resume();
      // Still CONNECTING here: terminate() aborts the handshake and emits "close".
      ws.terminate();
    });
    ws.on("error", (err) => {
      this.#log("control_plane_socket_error", { error: err.message });
    });
    ws.on("close", (code, reason) => this.#onClose(ws, code, reason.toString()));
  }

  #onOpen(ws: WebSocket): void {
    this.#openedAt = Date.now();
    this.#missedPongs = 0;
    const applied = this.#getApplied();
    const hello = {
      type: "hello" as const,
      nodeId: this.#opts.nodeId,
      group: this.#opts.group,
      labels: this.#opts.labels ?? {},
      appliedVersion: applied?.version ?? null,
      appliedHash: applied?.hash ?? null,
      proxyVersion: this.#opts.proxyVersion,
      capabilities: this.#opts.capabilities ?? {},
      ...(this.#opts.adminAddress ? { admin: this.#opts.adminAddress } : {}),
    };
    const checked = ZHelloMessage.safeParse(hello);
    if (!checked.success) {
      // Sent anyway: the console answers with an error frame that names the field.
      this.#log("control_plane_invalid_hello", { issues: checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) });
    }
    this.#send(ws, hello);
    this.#helloSent = true;
    this.#statsPaceMs = 0;
    this.#flushOutbox(ws);
    this.#log("control_plane_connected", { url: this.#opts.url, appliedVersion: hello.appliedVersion });
    try {
      this.#opts.onConnected?.();
    } catch (err) {
      this.#log("control_plane_on_connected_failed", { error: errorMessage(err) });
    }
    this.#keepaliveTimer = setInterval(() => this.#keepalive(ws), this.#opts.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_MS);
  }

  #keepalive(ws: WebSocket): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (this.#missedPongs >= MAX_MISSED_PONGS) {
      this.#log("control_plane_keepalive_timeout", { missedPongs: this.#missedPongs });
      ws.terminate();
      return;
    }
    this.#missedPongs++;
    try {
      ws.ping();
    } catch (err) {
      this.#log("control_plane_socket_error", { error: errorMessage(err) });
    }
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    // Any frame proves the console is alive.
    this.#missedPongs = 0;
    if (isBinary) {
      this.#log("control_plane_bad_frame", { error: "binary frame; the protocol is JSON text" });
      return;
    }
    const msg = decodeMessage(ZConsoleToNodeMessage, rawToString(data));
    if (!("type" in msg)) {
      this.#log("control_plane_bad_frame", { error: msg.error });
      return;
    }
    if (msg.type === "error") {
      this.#log("control_plane_console_error", { code: msg.code, message: msg.message });
      return;
    }
    if (msg.type === "statsPace") {
      if (msg.intervalMs !== this.#statsPaceMs) this.#log("control_plane_stats_paced", { intervalMs: msg.intervalMs });
      this.#statsPaceMs = msg.intervalMs;
      return;
    }
    if (msg.type === "endpoints") {
      this.#pendingEndpoints.delete(msg.cluster); // re-insert: keeps arrival order across clusters
      this.#pendingEndpoints.set(msg.cluster, msg);
      if (!this.#applying) void this.#drain();
      return;
    }
    this.#log("control_plane_snapshot_received", { version: msg.version, hash: msg.hash });
    if (this.#pending) this.#log("control_plane_snapshot_superseded", { version: this.#pending.version, by: msg.version });
    this.#pending = msg;
    if (!this.#applying) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#applying = true;
    try {
      while ((this.#pending || this.#pendingEndpoints.size) && !this.#closed) {
        if (this.#pending) {
          const snapshot = this.#pending;
          this.#pending = null;
          const answer = await this.#applyOne(snapshot);
          // The answer goes to whichever socket is open now: if the one that delivered the
          // snapshot died meanwhile, the new connection's console learns it just the same.
          const ws = this.#ws;
          if (ws && ws.readyState === WebSocket.OPEN) this.#send(ws, answer);
          continue;
        }
        const [cluster, msg] = this.#pendingEndpoints.entries().next().value as [string, TEndpointsMessage];
        this.#pendingEndpoints.delete(cluster);
        this.sendNow(this.#applyEndpointsOne(msg));
      }
    } finally {
      this.#applying = false;
    }
  }

  async #applyOne(snapshot: TSnapshotMessage): Promise<Record<string, unknown>> {
    const { version, hash } = snapshot;
    const applied = this.#getApplied();
    if (applied && applied.version === version && applied.hash === hash) {
      this.#log("control_plane_snapshot_reacked", { version, hash });
      return { type: "ack", version, hash };
    }
    let result: TApplyResult;
    try {
      result = await this.#opts.apply({ version, hash, config: snapshot.config });
    } catch (err) {
      result = { ok: false, error: `apply threw: ${errorMessage(err)}`, issues: [] };
    }
    if (result.ok) {
      this.#log("control_plane_snapshot_applied", { version, hash });
      return { type: "ack", version, hash };
    }
    this.#log("control_plane_snapshot_rejected", { version, hash, error: result.error, issues: result.issues.length });
    // The wire schema carries only path and message per issue.
    const issues = result.issues.map((i) => ({ path: i.path, message: i.message }));
    return { type: "nack", version, hash, error: result.error, issues };
  }

  #applyEndpointsOne(msg: TEndpointsMessage): TNodeToConsoleMessage {
    const { cluster, version } = msg;
    let result: { ok: true } | { ok: false; error: string };
    try {
      result = this.#opts.applyEndpoints ? this.#opts.applyEndpoints(msg) : { ok: false, error: "this node does not take endpoint updates" };
    } catch (err) {
      result = { ok: false, error: `applyEndpoints threw: ${errorMessage(err)}` };
    }
    this.#log(result.ok ? "control_plane_endpoints_applied" : "control_plane_endpoints_rejected", {
      cluster,
      version,
      endpoints: msg.endpoints.length,
      ...(result.ok ? {} : { error: result.error }),
    });
    return result.ok ? { type: "endpointsAck", cluster, version } : { type: "endpointsNack", cluster, version, error: result.error };
  }

  #send(ws: WebSocket, message: unknown): void {
    try {
      ws.send(JSON.stringify(message), (err) => {
        if (err) this.#log("control_plane_send_failed", { error: err.message });
      });
    } catch (err) {
      this.#log("control_plane_send_failed", { error: errorMessage(err) });
    }
  }

  #onClose(ws: WebSocket, code: number, reason: string): void {
    if (this.#keepaliveTimer) {
      clearInterval(this.#keepaliveTimer);
      this.#keepaliveTimer = null;
    }
    if (this.#ws === ws) {
      this.#ws = null;
      this.#helloSent = false;
    }
    const upMs = this.#openedAt ? Date.now() - this.#openedAt : 0;
    if (this.#openedAt) this.#log("control_plane_disconnected", { code, reason, upMs });
    if (this.#openedAt && upMs >= (this.#opts.stableAfterMs ?? DEFAULT_STABLE_AFTER_MS)) this.#backoff.reset();
    this.#openedAt = 0;
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer) return;
    const delayMs = this.#backoff.next();
    this.#log("control_plane_reconnect_scheduled", { delayMs, attempt: this.#backoff.attempt });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#connect();
    }, delayMs);
  }

  #clearTimers(): void {
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    if (this.#keepaliveTimer) clearInterval(this.#keepaliveTimer);
    this.#reconnectTimer = null;
    this.#keepaliveTimer = null;
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return data.toString("utf8");
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
