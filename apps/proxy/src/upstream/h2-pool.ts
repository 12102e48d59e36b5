import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http2";
import { Readable } from "node:stream";
import type { ConnectionOptions, TLSSocket } from "node:tls";
import type { TDispatchOptions, TUpstreamHandler, TUpstreamPool } from "./dispatch.ts";
import { UpstreamConnectTimeoutError, UpstreamStreamResetError } from "./errors.ts";

/**
 * An HTTP/2 upstream "pool" for one endpoint: ONE multiplexed session (h2c prior
 * knowledge, or h2 over TLS with ALPN "h2"), re-established lazily after GOAWAY/close.
 *
 * Written on node:http2 rather than undici's h2 client because the proxy needs, for
 * gRPC, full-duplex streams (response headers before the request body ends), trailers
 * delivered to the handler, `te: trailers` forwarded, and cleartext h2c. It speaks the
 * same legacy dispatch-handler protocol the Exchange already implements for undici
 * (onConnect -> onHeaders -> onData* -> onComplete | onError), so the router does not
 * care which pool it talks to.
 */

/** Fields RFC 9113 §8.2.2 forbids in HTTP/2 (the caller strips most; this is the last guard). */
const H2_FORBIDDEN = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host"]);

export type TH2PoolOptions = {
  /** http://host:port (h2c) or https://host:port (h2 over TLS). */
  origin: string;
  connectTimeoutMs: number;
  /** Sessions without streams for this long are closed; default the cluster's idleTimeoutMs. */
  idleTimeoutMs: number;
  /** TLS options (ca, cert, key, servername) for https origins. */
  tls?: ConnectionOptions;
};

export class H2Pool implements TUpstreamPool {
  readonly #opts: TH2PoolOptions;
  #session: ClientHttp2Session | null = null;
  /** Last session-level error, reported to streams that die with a less useful one. */
  #sessionError: Error | null = null;
  #closed = false;
  /** A TLS socket that already negotiated "h2" by ALPN (AlpnPool's probe): the first session runs on it. */
  #adopted: TLSSocket | null = null;

  constructor(opts: TH2PoolOptions) {
    this.#opts = opts;
  }

  /** Runs the next session on `socket` (connected, ALPN "h2") instead of dialing. */
  adopt(socket: TLSSocket): void {
    this.#adopted = socket;
  }

  /** Mirrors undici's pool.stats.connected for upstream_cx_active. */
  get stats(): { connected: number } {
    const s = this.#session;
    return { connected: s !== null && !s.connecting && !s.closed && !s.destroyed ? 1 : 0 };
  }

  #getSession(): ClientHttp2Session {
    const existing = this.#session;
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const o = this.#opts;
    this.#sessionError = null;
    const adopted = this.#adopted;
    this.#adopted = null;
    const session = http2.connect(o.origin, {
      ...(o.tls ?? {}),
      ALPNProtocols: ["h2"],
      // Node's default is 10 MiB of buffered session memory; gRPC streams need headroom.
      maxSessionMemory: 64,
      ...(adopted ? { createConnection: () => adopted } : {}),
    });
    this.#session = session;
    const timer = setTimeout(() => {
      // Recorded before destroy(): the session's streams fail (CANCEL) before its 'error'
      // event, and must report the connect timeout (503 UF), not a reset (UC).
      const err = new UpstreamConnectTimeoutError(o.connectTimeoutMs);
      if (this.#session === session) this.#sessionError = err;
      session.destroy(err);
    }, o.connectTimeoutMs);
    session.once("connect", () => clearTimeout(timer));
    session.on("error", (err: Error) => {
      this.#sessionError = err;
    });
    session.once("close", () => {
      clearTimeout(timer);
      if (this.#session === session) this.#session = null;
    });
    session.once("goaway", () => {
      // Existing streams finish; new requests open a new session.
      if (this.#session === session) this.#session = null;
    });
    session.setTimeout(o.idleTimeoutMs, () => session.close());
    // An idle session must not keep the process alive on shutdown.
    session.unref();
    return session;
  }

  dispatch(opts: TDispatchOptions, handler: TUpstreamHandler): boolean {
    if (this.#closed) {
      handler.onError(Object.assign(new Error("pool closed"), { code: "UND_ERR_CLOSED" }));
      return false;
    }
    let session: ClientHttp2Session;
    try {
      session = this.#getSession();
    } catch (err) {
      handler.onError(err as Error);
      return false;
    }
    const headers: OutgoingHttpHeaders = {
      ":method": opts.method,
      ":path": opts.path,
      ":scheme": this.#opts.tls ? "https" : "http",
    };
    const h = opts.headers;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i] as string;
      const value = h[i + 1] as string;
      if (name === "host") {
        headers[":authority"] = value;
        continue;
      }
      if (H2_FORBIDDEN.has(name)) continue;
      if (name === "te" && value !== "trailers") continue;
      const prev = headers[name];
      if (prev === undefined) headers[name] = value;
      else if (Array.isArray(prev)) prev.push(value);
      else headers[name] = [String(prev), value];
    }
    const endStream = opts.body === null;
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream });
    } catch (err) {
      handler.onError(err as Error);
      return false;
    }
    this.#drive(stream, opts.body, handler);
    return true;
  }

  #drive(stream: ClientHttp2Stream, body: TDispatchOptions["body"], handler: TUpstreamHandler): void {
    let done = false;
    let gotResponse = false;
    let trailers: string[] | null = null;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
      handler.onError(err);
    };
    handler.onConnect((err) => fail(err ?? new Error("aborted")));
    if (done) return;

    stream.on("response", (h: IncomingHttpHeaders) => {
      const status = Number(h[":status"]);
      if (status < 200) return;
      gotResponse = true;
      if (done) return;
      const ok = handler.onHeaders(status, toRaw(h), () => stream.resume());
      if (ok === false) stream.pause();
    });
    stream.on("data", (chunk: Buffer) => {
      if (done) return;
      if (handler.onData(chunk) === false) stream.pause();
    });
    stream.on("trailers", (t: IncomingHttpHeaders) => {
      trailers = toRaw(t);
    });
    stream.on("end", () => {
      if (done) return;
      if (!gotResponse) return fail(Object.assign(new Error("upstream stream ended without a response"), { code: "UND_ERR_SOCKET" }));
      done = true;
      handler.onComplete(trailers);
    });
    // A stream the upstream reset: node emits 'error' (ERR_HTTP2_STREAM_ERROR) for a
    // non-zero RST_STREAM code, then 'close'. Both report the reset as an
    // UpstreamStreamResetError (REFUSED_STREAM kept apart, for retryOn refused-stream)
    // unless the whole session died, whose error says more.
    const resetError = (fallback: Error | null): Error => {
      if (this.#sessionError) return this.#sessionError;
      const code = stream.rstCode;
      if (code !== undefined && code !== http2.constants.NGHTTP2_NO_ERROR) {
        return new UpstreamStreamResetError(code, code === http2.constants.NGHTTP2_REFUSED_STREAM);
      }
      return fallback ?? Object.assign(new Error("upstream closed the stream before the response completed"), { code: "UND_ERR_SOCKET" });
    };
    stream.on("error", (err: Error) => fail(resetError(err)));
    stream.on("close", () => {
      if (done) return;
      // Closed without 'end': RST_STREAM from the upstream, or the session died.
      fail(resetError(null));
    });

    if (body !== null) {
      const source = body instanceof Readable ? body : Readable.from(body);
      source.on("error", (err) => fail(err));
      source.pipe(stream);
    }
  }

  /** Graceful: GOAWAY, let open streams finish. */
  close(): Promise<void> {
    this.#closed = true;
    const s = this.#session;
    this.#session = null;
    if (!s || s.closed || s.destroyed) return Promise.resolve();
    return new Promise((resolve) => s.close(() => resolve()));
  }

  destroy(): Promise<void> {
    this.#closed = true;
    this.#adopted?.destroy();
    this.#adopted = null;
    const s = this.#session;
    this.#session = null;
    s?.destroy();
    return Promise.resolve();
  }
}

/** node:http2 header object -> raw [name, value, ...], pseudo-headers dropped. */
function toRaw(h: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name of Object.keys(h)) {
    if (name.charCodeAt(0) === 58 /* ':' */) continue;
    const v = h[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push(name, x);
    else out.push(name, String(v));
  }
  return out;
}
