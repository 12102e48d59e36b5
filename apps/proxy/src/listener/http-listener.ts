import type { IncomingHttpHeaders } from "node:http";
import http2, { type Http2SecureServer, type Http2Server, type IncomingHttpHeaders as IncomingHttp2Headers, type ServerHttp2Session, type ServerHttp2Stream } from "node:http2";
import { createServer, type Server, type Socket } from "node:net";
import type { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { TListenerLimits } from "@switchyard/config-model";
import type { TCompiledListener } from "../runtime/types.ts";
import { H2Downstream, type TRequestDownstream } from "../pipeline/downstream.ts";
import { H1Connection, headersTimeout, type TH1Owner } from "./h1/connection.ts";
import type { H1Request } from "./h1/request.ts";
import type { H1Response } from "./h1/response.ts";
import { H2Request } from "./h2/request.ts";
import { peerIdentity, sanAllowed } from "./peer-identity.ts";
import { adoptProxiedAddress, readProxyHeaders } from "./proxy-protocol.ts";
import { armFirstStream, armRequestTimeout, h2Settings, headerListTooLarge, maxHeaderListPairs } from "./h2-limits.ts";
import { pickContext } from "./tls-context.ts";

/**
 * A downstream request as the pipeline reads it: the HTTP/1.1 engine's H1Request and
 * the HTTP/2 H2Request (h2/request.ts) both have this shape. The body is the Readable itself.
 */
export type TDownstreamRequest = Readable & {
  readonly method: string;
  /** Rewritten in place by the request entry (normalised origin form). */
  url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  /** Trailer fields of the body, flat (complete once the body ended). */
  readonly rawTrailers: string[];
  readonly httpVersion: string;
  readonly httpVersionMajor: number;
  readonly socket: Socket | TLSSocket;
};
export type TRequestHandler = (listener: TCompiledListener, req: TDownstreamRequest, downstream: TRequestDownstream) => void;
/** HTTP/1.1 `Upgrade: websocket` requests; `head` is what the client sent after the request head. */
export type TUpgradeHandler = (listener: TCompiledListener, req: H1Request, socket: Socket, head: Buffer) => void;
export type THttpHandlers = { readonly request: TRequestHandler; readonly upgrade: TUpgradeHandler };

/** How often the HTTP/1.1 connections' timeouts (headers, request, idle) are checked. */
const TIMEOUT_SWEEP_MS = 250;
/** limits.maxHeadersCount when absent (Envoy's default max_headers_count). */
export const DEFAULT_MAX_HEADERS_COUNT = 100;

/**
 * Socket identity: a config version reuses a listener's socket when this is unchanged.
 * The protocol is part of it (http and https sockets are different servers).
 */
export function listenerKey(l: { address: string; port: number; protocol: string }): string {
  return `${l.protocol}|${l.address}|${l.port}`;
}

/**
 * One HTTP listening socket.
 *  - `http`: a `net` server; each connection runs the HTTP/1.1 engine (h1/connection.ts),
 *    except one opening with the HTTP/2 preface, which goes to a node:http2 session (h2c
 *    prior knowledge). Same port, told apart by the first bytes.
 *  - `https`: node:http2's secure server (TLS 1.2+, certificate chosen per connection by
 *    SNI from the CURRENT compiled version, optional client certificates); ALPN h2 stays
 *    with node:http2, http/1.1 (or no ALPN) runs the same HTTP/1.1 engine on the TLS socket.
 * `current` is the compiled listener of the applied version; each request reads it once
 * on arrival, so a request that started on version n finishes on n.
 */
export class HttpListener implements TH1Owner {
  readonly key: string;
  readonly server: Server | Http2SecureServer;
  current: TCompiledListener;
  readonly #handlers: THttpHandlers;
  readonly #sessions = new Set<ServerHttp2Session>();
  /** HTTP/1.1 connections (for timeouts and graceful close). */
  readonly #connections = new Set<H1Connection>();
  /** Sockets handed to the tunnel terminal (closed at the end of the grace period). */
  readonly #upgraded = new Set<Socket>();
  /** The HTTP/2 server: the https server itself, or the h2c server behind the sniffer. */
  readonly #h2: Http2Server | Http2SecureServer;
  /** Sockets accepted whose PROXY header has not arrived yet. */
  readonly #proxyPending = new Set<Socket>();
  readonly #sweep: NodeJS.Timeout;
  #closing: Promise<void> | null = null;
  draining = false;
  readonly h2c: ((socket: Socket) => void) | null;

  private constructor(compiled: TCompiledListener, handlers: THttpHandlers) {
    this.key = listenerKey(compiled);
    this.current = compiled;
    this.#handlers = handlers;
    const l = compiled.limits;
    // node:http2's stream API: no compat request/response pair per stream.
    const onH2Stream = (stream: ServerHttp2Stream, headers: IncomingHttp2Headers, _flags: number, rawHeaders: string[]) => {
      const limits = this.current.limits;
      const downstream = new H2Downstream(stream);
      if (headerListTooLarge(rawHeaders, limits.maxHeaderBytes)) {
        const body = `header list larger than ${limits.maxHeaderBytes} bytes\n`;
        downstream.writeHead(431, ["content-type", "text/plain", "content-length", String(body.length)]);
        downstream.end(body);
        return;
      }
      armRequestTimeout(stream, downstream, limits.requestTimeoutMs);
      handlers.request(this.current, new H2Request(stream, headers, rawHeaders), downstream);
    };
    const trackSession = (session: ServerHttp2Session) => {
      this.#sessions.add(session);
      session.once("close", () => this.#sessions.delete(session));
      // Idle h2 connections (no stream activity) close after the listener's idleTimeoutMs;
      // the first stream must come within headersTimeoutMs.
      session.setTimeout(this.current.limits.idleTimeoutMs, () => session.close());
      armFirstStream(session, headersTimeout(this.current.limits));
    };
    const accept = (socket: Socket) => this.#accept(socket);

    if (compiled.protocol === "https") {
      const tls = compiled.tls;
      if (!tls) throw new Error(`listener "${compiled.name}": https without tls after validation`);
      const server = http2.createSecureServer(
        {
          // Advertises http/1.1 in ALPN beside h2; those sockets are taken from node below.
          allowHTTP1: true,
          noDelay: true,
          ...tls.defaultOptions,
          minVersion: tls.minVersion,
          requestCert: tls.requestCert,
          rejectUnauthorized: tls.rejectUnauthorized,
          SNICallback: (servername, cb) => {
            const t = this.current.tls;
            cb(null, t ? pickContext(t, servername) : undefined);
          },
          maxSessionMemory: 64,
          settings: h2Settings(l),
          maxHeaderListPairs: maxHeaderListPairs(l.maxHeadersCount ?? DEFAULT_MAX_HEADERS_COUNT),
          // The TLS handshake is the first thing a client must finish (headersTimeoutMs of
          // the version that opened the socket: Node reads it only at creation).
          handshakeTimeout: headersTimeout(l) || undefined,
        },
      );
      server.on("stream", onH2Stream);
      this.#h2 = server;
      this.h2c = null;
      server.on("session", trackSession);
      // node:http2's own listener: h2 sessions, and node:http for http/1.1 (replaced here by the engine).
      const http2Connection = server.listeners("secureConnection")[0] as (socket: TLSSocket) => void;
      server.removeAllListeners("secureConnection");
      server.on("secureConnection", (socket: TLSSocket) => {
        // It carries the PROXY-declared address before either protocol reads the socket.
        adoptProxiedAddress(socket);
        if (!this.#peerAllowed(socket)) return void socket.destroy();
        if (socket.alpnProtocol === "h2") http2Connection.call(server, socket);
        else accept(socket);
      });
      readProxyHeaders(server, true, this.#proxyPending, this.#proxyPolicy);
      // A failed handshake (no/invalid client certificate, wrong version) costs that connection only.
      server.on("tlsClientError", () => undefined);
      server.maxConnections = l.maxConnections;
      this.server = server;
    } else {
      const h2 = http2.createServer({ maxSessionMemory: 64, settings: h2Settings(l), maxHeaderListPairs: maxHeaderListPairs(l.maxHeadersCount ?? DEFAULT_MAX_HEADERS_COUNT) });
      h2.on("stream", onH2Stream);
      this.#h2 = h2;
      h2.on("session", trackSession);
      this.h2c = (socket) => h2.emit("connection", socket);
      // allowHalfOpen: a client that half-closes after its request still gets the answer.
      const server = createServer({ allowHalfOpen: true, noDelay: true }, accept);
      readProxyHeaders(server, false, this.#proxyPending, this.#proxyPolicy);
      server.maxConnections = l.maxConnections;
      this.server = server;
    }
    this.#sweep = setInterval(() => this.#checkTimeouts(), TIMEOUT_SWEEP_MS);
    this.#sweep.unref();
  }

  // ---- TH1Owner: what each HTTP/1.1 connection reads from its listener ----

  get limits(): TListenerLimits {
    return this.current.limits;
  }

  get maxHeadersCount(): number {
    return this.current.limits.maxHeadersCount ?? DEFAULT_MAX_HEADERS_COUNT;
  }

  request(req: H1Request, res: H1Response): void {
    this.#handlers.request(this.current, req, res);
  }

  upgrade(req: H1Request, socket: Socket, head: Buffer): void {
    this.#upgraded.add(socket);
    socket.once("close", () => this.#upgraded.delete(socket));
    this.#handlers.upgrade(this.current, req, socket, head);
  }

  closed(conn: H1Connection): void {
    this.#connections.delete(conn);
  }

  #accept(socket: Socket): void {
    if (this.draining) return void socket.destroy();
    this.#connections.add(new H1Connection(socket, this));
  }

  #checkTimeouts(): void {
    if (this.#connections.size === 0) return;
    const now = Date.now();
    const limits = this.current.limits;
    for (const conn of this.#connections) conn.checkTimeouts(now, limits);
  }

  /** Read per connection: proxyProtocol and the time its header may take (headersTimeoutMs). */
  readonly #proxyPolicy = () => ({ enabled: this.current.proxyProtocol, timeoutMs: headersTimeout(this.current.limits) });

  /** Downstream mTLS: a presented certificate must verify and carry an allowed SAN, else the connection is closed. */
  #peerAllowed(socket: TLSSocket): boolean {
    const tls = this.current.tls;
    if (!tls || !tls.requestCert) return true;
    const cert = socket.getPeerCertificate();
    const presented = cert !== null && typeof cert === "object" && Object.keys(cert).length > 0;
    if (!presented) return true; // required: true already failed the handshake
    if (!socket.authorized) return false;
    if (tls.allowedSans) {
      const id = peerIdentity(socket);
      if (!id || !sanAllowed(id, tls.allowedSans)) return false;
    }
    return true;
  }

  /** Binds the socket; rejects (and leaves nothing open) when the address cannot be bound. */
  static open(compiled: TCompiledListener, handlers: THttpHandlers): Promise<HttpListener> {
    const listener = new HttpListener(compiled, handlers);
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        clearInterval(listener.#sweep);
        reject(err);
      };
      listener.server.once("error", onError);
      listener.server.listen({ host: compiled.address, port: compiled.port }, () => {
        listener.server.off("error", onError);
        resolve(listener);
      });
    });
  }

  /** Swaps in the next version's compiled listener, its limits and its certificates, keeping the socket. */
  update(compiled: TCompiledListener): void {
    const l = compiled.limits;
    const server = this.server;
    if (compiled.tls && "setSecureContext" in server) {
      const secure = server as Http2SecureServer & { requestCert: boolean; rejectUnauthorized: boolean };
      if (compiled !== this.current) secure.setSecureContext({ ...compiled.tls.defaultOptions, minVersion: compiled.tls.minVersion });
      // tls.Server reads these per new connection.
      secure.requestCert = compiled.tls.requestCert;
      secure.rejectUnauthorized = compiled.tls.rejectUnauthorized;
    }
    // h2 sessions opened from now on advertise (and Node enforces) the new header list size.
    this.#h2.updateSettings(h2Settings(l));
    server.maxConnections = l.maxConnections;
    // HTTP/1.1 connections read the limits per request and per timeout sweep.
    this.current = compiled;
  }

  /**
   * Stops accepting, closes idle keep-alive connections now and busy ones after their
   * response (`connection: close`; h2: GOAWAY, open streams finish), and after `graceMs`
   * closes whatever is left.
   */
  close(graceMs: number): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.draining = true;
      const server = this.server;
      for (const s of this.#sessions) s.close();
      for (const socket of this.#proxyPending) socket.destroy();
      for (const conn of this.#connections) conn.drain();
      const hard = setTimeout(() => {
        for (const conn of this.#connections) conn.socket.destroy();
        for (const socket of this.#upgraded) socket.destroy();
        for (const s of this.#sessions) s.destroy();
      }, graceMs);
      server.close(() => {
        clearInterval(this.#sweep);
        clearTimeout(hard);
        resolve();
      });
    });
    return this.#closing;
  }

  address(): { address: string; port: number } {
    const a = this.server.address();
    return a && typeof a === "object" ? { address: a.address, port: a.port } : { address: this.current.address, port: this.current.port };
  }
}
