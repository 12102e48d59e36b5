import type { Socket } from "node:net";
import type { ConnectionOptions, TLSSocket } from "node:tls";
import { fieldValue } from "../http1/head.ts";
import { dialUpstream } from "./dial.ts";
import type { TDispatchOptions, TUpstreamHandler, TUpstreamPool } from "./dispatch.ts";
import { H1Connection, type TConnectionOwner } from "./h1-connection.ts";
import { H1UpstreamRequest } from "./h1-request.ts";

/**
 * An idle upstream connection is kept this long when the upstream sends no `Keep-Alive:
 * timeout=` hint: below Node's default server keepAliveTimeout (5 s), so we close first
 * instead of racing the upstream's close (which shows up as UC).
 */
const DEFAULT_KEEPALIVE_MS = 4_000;
/** A hinted keep-alive is cut by this much, for the hint's own round trip (undici's threshold). */
const KEEPALIVE_HINT_MARGIN_MS = 2_000;

export type TH1PoolOptions = {
  /** Where connections go (logicalDns: see dialAddress). */
  address: string;
  port: number;
  /** Host field for requests that carry none ("address:port"). */
  hostPort: string;
  /** Client TLS options (servername, ca, cert, key) or null for cleartext. */
  tls: ConnectionOptions | null;
  /** This endpoint's share of circuitBreakers.maxConnections. */
  connections: number;
  connectTimeoutMs: number;
  /** The cluster's idleTimeoutMs: the longest an idle connection is kept, whatever the upstream hints. */
  idleTimeoutMs: number;
  /** logicalDns: the address a NEW connection dials (the latest answer); throws when there is none yet. */
  dialAddress?: () => string;
};

const HTTP1_ALPN = ["http/1.1"];

export const closedError = (): Error => Object.assign(new Error("pool closed"), { code: "UND_ERR_CLOSED" });
const destroyedError = (): Error => Object.assign(new Error("pool destroyed"), { code: "UND_ERR_DESTROYED" });

/**
 * The HTTP/1.1 keep-alive pool of one upstream endpoint: up to `connections` sockets, each
 * carrying one request at a time; requests wait in a FIFO when all are busy. Idle
 * connections are reused most-recent first (the least likely to have been closed by the
 * upstream) and closed after the keep-alive time. A request that dies on a reused
 * connection before any response byte (the upstream closed it while we were writing) is
 * sent once more on a fresh connection when it is idempotent and its body replayable;
 * that is not a router retry. Creating a pool allocates nothing but its fields: sockets
 * and timers come with the first dispatch.
 */
export class H1Pool implements TUpstreamPool, TConnectionOwner {
  readonly #o: TH1PoolOptions;
  /** Every connection, connecting or open. */
  #all: Set<H1Connection> | null = null;
  /** Connections that carry a request now. */
  #busy: Set<H1Connection> | null = null;
  /** Idle open connections, most recently used last. */
  #idle: H1Connection[] = [];
  #queue: H1UpstreamRequest[] = [];
  #open = 0;
  #dialing = 0;
  #closed = false;
  /** destroy() was called: nothing is dialed any more. */
  #closedHard = false;
  /** Stale-retry requests, each waiting for the fresh connection dialed for it. */
  #pinned: Map<H1Connection, H1UpstreamRequest> | null = null;
  #drained: (() => void) | null = null;
  /** The last TLS session, offered to the next handshake (resumption). */
  #tlsSession: Buffer | null = null;

  constructor(opts: TH1PoolOptions) {
    this.#o = opts;
  }

  get stats(): { connected: number; free: number; pending: number; running: number; size: number } {
    const running = this.#busy?.size ?? 0;
    return { connected: this.#open, free: this.#idle.length, pending: this.#queue.length, running, size: running + this.#queue.length };
  }

  dispatch(opts: TDispatchOptions, handler: TUpstreamHandler): boolean {
    if (this.#closed) {
      handler.onError(closedError());
      return false;
    }
    let req: H1UpstreamRequest;
    try {
      req = new H1UpstreamRequest(opts, handler, this.#o.hostPort);
    } catch (err) {
      handler.onError(err as Error);
      return false;
    }
    const conn = this.#takeIdle();
    if (conn !== null) this.#run(conn, req);
    else {
      this.#queue.push(req);
      this.#dialForQueue();
    }
    return true;
  }

  /** Takes over a connected socket (AlpnPool's probe, ALPN "http/1.1") as an idle connection. */
  adopt(socket: Socket): void {
    const conn = new H1Connection(socket, this, this.#o.tls !== null, 0, true);
    (this.#all ??= new Set()).add(conn);
    this.#open++;
    // No response seen on it yet: the default keep-alive while it waits for its first request.
    conn.keepAliveMs = this.keepAliveMs([]);
    this.#next(conn);
  }

  /** One more connection when the queue holds more requests than connections on their way to it, within the limit. */
  #dialForQueue(): void {
    const forQueue = this.#dialing - (this.#pinned?.size ?? 0);
    if (this.#queue.length > forQueue && this.#open + this.#dialing < this.#o.connections && !this.#closedHard) this.#dial();
  }

  #takeIdle(): H1Connection | null {
    const idle = this.#idle;
    while (idle.length > 0) {
      const c = idle.pop() as H1Connection;
      if (c.usable) return c;
    }
    return null;
  }

  #run(conn: H1Connection, req: H1UpstreamRequest): void {
    (this.#busy ??= new Set()).add(conn);
    conn.run(req);
  }

  #dial(first: H1UpstreamRequest | null = null): void {
    const o = this.#o;
    let socket: Socket;
    try {
      socket = dialUpstream(o.dialAddress ? o.dialAddress() : o.address, o.port, o.tls, HTTP1_ALPN, this.#tlsSession);
    } catch (err) {
      // No address to dial (logicalDns not resolved yet): fail like a refused connection, after this turn.
      process.nextTick(() => this.#connectFailed(err as Error, first));
      return;
    }
    if (o.tls) (socket as TLSSocket).on("session", (s: Buffer) => (this.#tlsSession = s));
    const conn = new H1Connection(socket, this, o.tls !== null, o.connectTimeoutMs);
    if (first !== null) (this.#pinned ??= new Map()).set(conn, first);
    (this.#all ??= new Set()).add(conn);
    this.#dialing++;
  }

  // ---- TConnectionOwner -------------------------------------------------------------

  ready(conn: H1Connection): void {
    this.#dialing--;
    this.#open++;
    const pinned = this.#pinned?.get(conn);
    if (pinned !== undefined) {
      this.#pinned?.delete(conn);
      if (!pinned.done) return this.#run(conn, pinned);
    }
    this.#next(conn);
  }

  released(conn: H1Connection): void {
    this.#busy?.delete(conn);
    this.#next(conn);
  }

  /** A free connection takes the next queued request, or parks (closes when the pool is closing). */
  #next(conn: H1Connection): void {
    const req = this.#queue.shift();
    if (req !== undefined) return this.#run(conn, req);
    if (this.#closed) conn.destroy();
    else {
      conn.park();
      this.#idle.push(conn);
    }
    this.#checkDrained();
  }

  gone(conn: H1Connection, connectError: Error | null, stale: H1UpstreamRequest | null): void {
    this.#all?.delete(conn);
    this.#busy?.delete(conn);
    if (conn.idle) {
      const i = this.#idle.indexOf(conn);
      if (i !== -1) this.#idle.splice(i, 1);
    }
    const pinned = this.#pinned?.get(conn) ?? null;
    this.#pinned?.delete(conn);
    if (connectError !== null) {
      this.#dialing--;
      this.#connectFailed(connectError, pinned);
    } else {
      this.#open--;
      if (stale !== null) {
        // Sent again once, on a connection of its own (the pool's count just went down by this one).
        stale.retried = true;
        if (this.#closedHard) stale.fail(destroyedError());
        else this.#dial(stale);
      } else this.#dialForQueue();
    }
    this.#checkDrained();
  }

  /**
   * A dial failed: its pinned request fails with the error; queued requests fail too when
   * no other connection is open or on its way (the endpoint is unreachable, as undici does),
   * else they wait for those.
   */
  #connectFailed(err: Error, pinned: H1UpstreamRequest | null): void {
    pinned?.fail(err);
    if (this.#open + this.#dialing > 0) return;
    const waiting = this.#queue;
    this.#queue = [];
    for (const r of waiting) r.fail(err);
    this.#checkDrained();
  }

  keepAliveMs(rawHeaders: readonly string[]): number {
    const idle = this.#o.idleTimeoutMs;
    const hint = fieldValue(rawHeaders, "keep-alive");
    const m = hint === undefined ? null : /timeout\s*=\s*(\d+)/i.exec(hint);
    if (m === null) return Math.min(idle, DEFAULT_KEEPALIVE_MS);
    return Math.max(0, Math.min(Number(m[1]) * 1000 - KEEPALIVE_HINT_MARGIN_MS, idle));
  }

  // ---- lifecycle --------------------------------------------------------------------

  /** Graceful: new dispatches fail; queued and in-flight requests finish, then every connection closes. */
  close(): Promise<void> {
    this.#closed = true;
    for (const c of this.#idle) c.destroy();
    this.#idle = [];
    if (this.#settled()) return Promise.resolve();
    return new Promise((resolve) => {
      const prev = this.#drained;
      this.#drained = () => {
        prev?.();
        resolve();
      };
    });
  }

  destroy(): Promise<void> {
    this.#closed = true;
    this.#closedHard = true;
    const waiting = this.#queue;
    this.#queue = [];
    for (const r of waiting) r.fail(destroyedError());
    for (const r of this.#pinned?.values() ?? []) r.fail(destroyedError());
    this.#pinned = null;
    for (const c of this.#all ?? []) c.destroy();
    this.#idle = [];
    this.#checkDrained();
    return Promise.resolve();
  }

  #settled(): boolean {
    return this.#queue.length === 0 && (this.#busy?.size ?? 0) === 0 && (this.#pinned?.size ?? 0) === 0;
  }

  #checkDrained(): void {
    if (!this.#closed || this.#drained === null || !this.#settled()) return;
    for (const c of this.#idle) c.destroy();
    this.#idle = [];
    const done = this.#drained;
    this.#drained = null;
    done();
  }
}
