import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import http2, { type Http2SecureServer, type Http2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from "node:http2";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { TListenerLimits } from "@switchyard/config-model";
import type { TCompiledListener } from "../runtime/types.ts";
import { peerIdentity, sanAllowed } from "./peer-identity.ts";
import { adoptProxiedAddress, readProxyHeaders } from "./proxy-protocol.ts";
import { armFirstStream, armRequestTimeout, h2Settings, headerListTooLarge, maxHeaderListPairs } from "./h2-limits.ts";
import { pickContext } from "./tls-context.ts";

export type TDownstreamRequest = IncomingMessage | Http2ServerRequest;
export type TDownstreamResponse = ServerResponse | Http2ServerResponse;
export type TRequestHandler = (listener: TCompiledListener, req: TDownstreamRequest, res: TDownstreamResponse) => void;
/** HTTP/1.1 `Upgrade` requests (WebSocket); `head` is what the client sent after the request head. */
export type TUpgradeHandler = (listener: TCompiledListener, req: IncomingMessage, socket: Duplex, head: Buffer) => void;
export type THttpHandlers = { readonly request: TRequestHandler; readonly upgrade: TUpgradeHandler };

/** How often Node checks headersTimeout/requestTimeout (its default, 30 s, makes them coarse). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/** "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" (RFC 9113 §3.4): a cleartext connection starting with "PRI " is h2c prior knowledge. */
const H2_PREFACE_START = Buffer.from("PRI ");
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
 *  - `http`: node:http server whose connections are sniffed: a connection opening with
 *    the HTTP/2 preface goes to a node:http2 session (h2c prior knowledge), anything else
 *    to the HTTP/1.1 parser. Same port, told apart by the first bytes.
 *  - `https`: node:http2 secure server with allowHTTP1: ALPN picks h2 or http/1.1; the
 *    certificate is chosen per connection by SNI from the CURRENT compiled version
 *    (rotation without a restart); TLS 1.2+; optional client certificate validation.
 * `current` is the compiled listener of the applied version; each request reads it once
 * on arrival, so a request that started on version n finishes on n.
 */
export class HttpListener {
  readonly key: string;
  readonly server: Server | Http2SecureServer;
  current: TCompiledListener;
  readonly #sessions = new Set<ServerHttp2Session>();
  /** The HTTP/2 server: the https server itself, or the h2c server behind the sniffer. */
  #h2: Http2Server | Http2SecureServer | null = null;
  /** Sockets accepted whose first byte (or PROXY header) has not arrived yet. */
  readonly #sniffing = new Set<Socket>();
  #closing: Promise<void> | null = null;

  private constructor(compiled: TCompiledListener, handlers: THttpHandlers) {
    this.key = listenerKey(compiled);
    this.current = compiled;
    const l = compiled.limits;
    const onRequest = (req: TDownstreamRequest, res: TDownstreamResponse) => {
      // Node's own maxHeadersCount (2000) silently DROPS the fields past it, so the
      // upstream would see a different request than the client sent: count them here
      // (the parser keeps them all, bounded by maxHeaderBytes) and refuse with 431.
      const max = this.current.limits.maxHeadersCount ?? DEFAULT_MAX_HEADERS_COUNT;
      if (req.httpVersionMajor === 1 && req.rawHeaders.length / 2 > max) {
        (res as ServerResponse).writeHead(431, { "content-type": "text/plain", connection: "close" });
        res.end(`too many header fields (more than ${max})\n`);
        return;
      }
      if (req.httpVersionMajor === 2) {
        const limits = this.current.limits;
        if (headerListTooLarge(req.rawHeaders, limits.maxHeaderBytes)) {
          (res as Http2ServerResponse).writeHead(431, { "content-type": "text/plain" });
          res.end(`header list larger than ${limits.maxHeaderBytes} bytes\n`);
          return;
        }
        armRequestTimeout(req as Http2ServerRequest, res as Http2ServerResponse, limits.requestTimeoutMs);
      }
      handlers.request(this.current, req, res);
    };
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const max = this.current.limits.maxHeadersCount ?? DEFAULT_MAX_HEADERS_COUNT;
      if (req.rawHeaders.length / 2 > max) {
        socket.end("HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
        return;
      }
      handlers.upgrade(this.current, req, socket, head);
    };
    const trackSession = (session: ServerHttp2Session) => {
      this.#sessions.add(session);
      session.once("close", () => this.#sessions.delete(session));
      // Idle h2 connections (no stream activity) close after the listener's idleTimeoutMs;
      // the first stream must come within headersTimeoutMs.
      session.setTimeout(this.current.limits.idleTimeoutMs, () => session.close());
      armFirstStream(session, nodeTimeouts(this.current.limits).headersTimeout);
    };

    if (compiled.protocol === "https") {
      const tls = compiled.tls;
      if (!tls) throw new Error(`listener "${compiled.name}": https without tls after validation`);
      const server = http2.createSecureServer(
        {
          allowHTTP1: true,
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
          handshakeTimeout: nodeTimeouts(l).headersTimeout || undefined,
        },
        onRequest,
      );
      // HTTP/1.1 over TLS runs node:http's parser on this server: same limits as on http.
      applyHttp1Limits(server, l);
      // Read when the server starts listening (allowHTTP1's connection tracking); Node's 30 s makes the timeouts coarse.
      (server as Http2SecureServer & { connectionsCheckingInterval: number }).connectionsCheckingInterval = TIMEOUT_CHECK_INTERVAL_MS;
      this.#h2 = server;
      server.on("session", trackSession);
      server.on("upgrade", onUpgrade);
      // Before HTTP/2 or HTTP/1.1 take the TLS socket: it carries the PROXY-declared address.
      server.prependListener("secureConnection", adoptProxiedAddress);
      server.on("secureConnection", (socket: TLSSocket) => this.#checkPeer(socket));
      readProxyHeaders(server, true, this.#sniffing, this.#proxyPolicy);
      // A failed handshake (no/invalid client certificate, wrong version) costs that connection only.
      server.on("tlsClientError", () => undefined);
      server.maxConnections = l.maxConnections;
      this.server = server;
      return;
    }

    const h1 = createServer(
      {
        maxHeaderSize: l.maxHeaderBytes,
        ...nodeTimeouts(l),
        keepAliveTimeout: l.idleTimeoutMs,
        connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
      },
      onRequest,
    );
    // Node answers 431 for a head larger than maxHeaderSize and 408 for the timeouts itself.
    h1.maxConnections = l.maxConnections;
    // 0 = keep every field (the count is checked in onRequest; maxHeaderSize bounds the head).
    h1.maxHeadersCount = 0;
    h1.on("upgrade", onUpgrade);
    const h2 = http2.createServer(
      { maxSessionMemory: 64, settings: h2Settings(l), maxHeaderListPairs: maxHeaderListPairs(l.maxHeadersCount ?? DEFAULT_MAX_HEADERS_COUNT) },
      onRequest,
    );
    this.#h2 = h2;
    h2.on("session", trackSession);
    // Replace node:http's own connection listener with a sniffer that hands the socket to
    // HTTP/1.1 (that listener) or to the h2c server. node:http keeps its connection
    // tracking, timeouts and maxConnections because the socket still arrives through it.
    const http1Connection = h1.listeners("connection")[0] as (socket: Socket) => void;
    h1.removeAllListeners("connection");
    h1.on("connection", (socket: Socket) => {
      // Until its first byte a socket belongs to no protocol server, so nothing else closes
      // it: node:http runs with allowHalfOpen, so a peer that connects and closes without a
      // byte (port scanners, TCP health checks, load generators) would stay half-open
      // forever and hold up server.close(); one that sends nothing would be held too.
      const firstByteTimeout = nodeTimeouts(this.current.limits).headersTimeout;
      const drop = () => socket.destroy();
      this.#sniffing.add(socket);
      socket.once("close", () => this.#sniffing.delete(socket));
      socket.once("end", drop);
      if (firstByteTimeout > 0) socket.setTimeout(firstByteTimeout, drop);
      socket.once("data", (first: Buffer) => {
        this.#sniffing.delete(socket);
        socket.off("end", drop);
        socket.setTimeout(0);
        socket.removeListener("timeout", drop);
        socket.pause();
        socket.unshift(first);
        const n = Math.min(first.length, H2_PREFACE_START.length);
        if (first.subarray(0, n).equals(H2_PREFACE_START.subarray(0, n))) h2.emit("connection", socket);
        else http1Connection.call(h1, socket);
        process.nextTick(() => socket.resume());
      });
    });
    readProxyHeaders(h1, false, this.#sniffing, this.#proxyPolicy);
    this.server = h1;
  }

  /** Read per connection: proxyProtocol and the time its header may take (headersTimeoutMs). */
  readonly #proxyPolicy = () => ({ enabled: this.current.proxyProtocol, timeoutMs: nodeTimeouts(this.current.limits).headersTimeout });

  /** Downstream mTLS: a presented certificate must verify and carry an allowed SAN, else the connection is closed. */
  #checkPeer(socket: TLSSocket): void {
    const tls = this.current.tls;
    if (!tls || !tls.requestCert) return;
    const cert = socket.getPeerCertificate();
    const presented = cert !== null && typeof cert === "object" && Object.keys(cert).length > 0;
    if (!presented) return; // required: true already failed the handshake
    if (!socket.authorized) return void socket.destroy();
    if (tls.allowedSans) {
      const id = peerIdentity(socket);
      if (!id || !sanAllowed(id, tls.allowedSans)) socket.destroy();
    }
  }

  /** Binds the socket; rejects (and leaves nothing open) when the address cannot be bound. */
  static open(compiled: TCompiledListener, handlers: THttpHandlers): Promise<HttpListener> {
    const listener = new HttpListener(compiled, handlers);
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
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
    // Read by Node per new connection / per timeout check, so changes apply without a rebind.
    applyHttp1Limits(server, l);
    // h2 sessions opened from now on advertise (and Node enforces) the new header list size.
    this.#h2?.updateSettings(h2Settings(l));
    server.maxConnections = l.maxConnections;
    this.current = compiled;
  }

  /**
   * Stops accepting, closes idle keep-alive connections as they become idle (h2: GOAWAY,
   * open streams finish), and after `graceMs` closes whatever is left.
   */
  close(graceMs: number): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      const server = this.server;
      const closeIdle = () => (server as Server).closeIdleConnections?.();
      const sweep = setInterval(closeIdle, 100);
      for (const s of this.#sessions) s.close();
      for (const socket of this.#sniffing) socket.destroy();
      const hard = setTimeout(() => {
        (server as Server).closeAllConnections?.();
        for (const s of this.#sessions) s.destroy();
      }, graceMs);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(hard);
        resolve();
      });
      closeIdle();
    });
    return this.#closing;
  }

  address(): { address: string; port: number } {
    const a = this.server.address();
    return a && typeof a === "object" ? { address: a.address, port: a.port } : { address: this.current.address, port: this.current.port };
  }
}

/**
 * node:http's limits, on an http server or on the https server's HTTP/1.1 side (allowHTTP1
 * runs the same parser, which reads these per connection and per timeout check).
 */
function applyHttp1Limits(server: Server | Http2SecureServer, l: TListenerLimits): void {
  const s = server as Server & { maxHeaderSize?: number };
  s.maxHeaderSize = l.maxHeaderBytes;
  const t = nodeTimeouts(l);
  s.requestTimeout = t.requestTimeout;
  s.headersTimeout = t.headersTimeout;
  s.keepAliveTimeout = l.idleTimeoutMs;
  // 0 = keep every field (the count is checked in onRequest; maxHeaderSize bounds the head).
  s.maxHeadersCount = 0;
}

/** Node refuses headersTimeout > requestTimeout when both are set; 0 disables requestTimeout. */
function nodeTimeouts(l: TListenerLimits): { headersTimeout: number; requestTimeout: number } {
  const requestTimeout = l.requestTimeoutMs;
  const headersTimeout = requestTimeout > 0 ? Math.min(l.headersTimeoutMs, requestTimeout) : l.headersTimeoutMs;
  return { headersTimeout, requestTimeout };
}
