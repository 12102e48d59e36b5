import type { TLSSocket } from "node:tls";
import { dialUpstream } from "./dial.ts";
import type { TDispatchOptions, TUpstreamHandler, TUpstreamPool } from "./dispatch.ts";
import { UpstreamConnectTimeoutError } from "./errors.ts";
import { H1Pool, closedError, type TH1PoolOptions } from "./h1-pool.ts";
import { H2Pool } from "./h2-pool.ts";

const OFFER = ["h2", "http/1.1"];

/**
 * `protocol: auto` over TLS: the first connection offers h2 and http/1.1 by ALPN and the
 * upstream's choice picks the pool for this endpoint: our H2Pool (one multiplexed session,
 * the probe's socket its first) or our H1Pool (the probe's socket its first idle
 * connection). Measured against undici's Pool with allowH2 (bench/upstream-pools.ts):
 * h2 costs about half the CPU per request, http/1.1 a quarter less. The choice holds for
 * the pool's life (a config change or a discovery update builds a new one); requests that
 * arrive while the probe connects wait for it, and fail with its error.
 */
export class AlpnPool implements TUpstreamPool {
  readonly #o: TH1PoolOptions & { tls: NonNullable<TH1PoolOptions["tls"]> };
  #chosen: H1Pool | H2Pool | null = null;
  #probe: TLSSocket | null = null;
  #waiting: [TDispatchOptions, TUpstreamHandler][] = [];
  #closed = false;
  /** close() while the probe connects: runs once the probe settled. */
  #afterProbe: (() => void) | null = null;

  constructor(opts: TH1PoolOptions & { tls: NonNullable<TH1PoolOptions["tls"]> }) {
    this.#o = opts;
  }

  /** What ALPN chose ("h2" | "http/1.1"), null before the first connection. */
  get protocol(): string | null {
    return this.#chosen === null ? null : this.#chosen instanceof H2Pool ? "h2" : "http/1.1";
  }

  get stats(): { connected: number } {
    return this.#chosen?.stats ?? { connected: 0 };
  }

  dispatch(opts: TDispatchOptions, handler: TUpstreamHandler): boolean {
    if (this.#chosen !== null) return this.#chosen.dispatch(opts, handler);
    if (this.#closed) {
      handler.onError(closedError());
      return false;
    }
    this.#waiting.push([opts, handler]);
    if (this.#probe === null) this.#connect();
    return true;
  }

  #connect(): void {
    const o = this.#o;
    let socket: TLSSocket;
    try {
      socket = dialUpstream(o.dialAddress ? o.dialAddress() : o.address, o.port, o.tls, OFFER, null) as TLSSocket;
    } catch (err) {
      return process.nextTick(() => this.#failWaiting(err as Error));
    }
    this.#probe = socket;
    const timer = setTimeout(() => socket.destroy(new UpstreamConnectTimeoutError(o.connectTimeoutMs)), o.connectTimeoutMs);
    const onError = (err: Error): void => {
      clearTimeout(timer);
      this.#probe = null;
      this.#failWaiting(err);
      this.#afterProbe?.();
    };
    socket.once("error", onError);
    socket.once("close", () => onError(Object.assign(new Error("upstream closed the connection while connecting"), { code: "UND_ERR_SOCKET" })));
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      socket.removeAllListeners("close");
      // The chosen pool listens from here; this only guards the hand-over.
      socket.on("error", () => undefined);
      this.#probe = null;
      const chosen = socket.alpnProtocol === "h2" ? this.#h2(socket) : this.#h1(socket);
      this.#chosen = chosen;
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const [opts, handler] of waiting) chosen.dispatch(opts, handler);
      this.#afterProbe?.();
    });
  }

  #h2(socket: TLSSocket): H2Pool {
    const o = this.#o;
    const pool = new H2Pool({ origin: `https://${o.hostPort}`, connectTimeoutMs: o.connectTimeoutMs, idleTimeoutMs: o.idleTimeoutMs, tls: o.tls });
    pool.adopt(socket);
    return pool;
  }

  #h1(socket: TLSSocket): H1Pool {
    const pool = new H1Pool(this.#o);
    pool.adopt(socket);
    return pool;
  }

  #failWaiting(err: Error): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const [, handler] of waiting) handler.onError(err);
  }

  /** Graceful: requests waiting for the probe still go (on the pool it picks), then that pool closes. */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#probe === null) return this.#chosen?.close() ?? Promise.resolve();
    return new Promise((resolve) => {
      this.#afterProbe = () => {
        this.#afterProbe = null;
        void (this.#chosen?.close() ?? Promise.resolve()).then(resolve);
      };
    });
  }

  destroy(): Promise<void> {
    this.#closed = true;
    this.#afterProbe = null;
    this.#probe?.destroy();
    return this.#chosen?.destroy() ?? Promise.resolve();
  }
}
