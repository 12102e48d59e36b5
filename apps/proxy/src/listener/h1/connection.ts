import type { Socket } from "node:net";
import type { TListenerLimits } from "@switchyard/config-model";
import { BodyDecoder } from "../../http1/body-decoder.ts";
import { HttpParseError } from "../../http1/errors.ts";
import { keepAlive, requestFraming } from "../../http1/framing.ts";
import { connectionTokens, fieldValue, HeadReader, parseRequestHead, type TRequestHead } from "../../http1/head.ts";
import { H1Request, type TBodyPump } from "./request.ts";
import { errorResponse, H1Response, type TResponseOwner } from "./response.ts";

/**
 * The HTTP/1.1 engine: one per downstream connection, on the `net` / `tls` socket itself.
 * Request heads are read from the socket's buffers with the shared codec (http1/), bodies
 * stream to the request's Readable with back pressure (the socket pauses while the
 * consumer is behind), and requests are answered strictly one at a time: a pipelined
 * request's bytes wait (bounded: reading pauses past READ_AHEAD_BYTES) until the response
 * before it is flushed, as Envoy and nginx do. Limits: maxHeaderBytes / maxHeadersCount ->
 * 431, headersTimeoutMs -> 408, requestTimeoutMs -> 408 (or a reset once the response
 * started), idleTimeoutMs between requests; any parse error -> 400/431/501 with
 * `connection: close`, and nothing of that request reaches the pipeline.
 */

/**
 * What the engine needs from its listener. The limits are read per request and per
 * timeout sweep (a config update applies to the next request), except maxHeaderBytes,
 * fixed per connection.
 */
export type TH1Owner = {
  readonly limits: TListenerLimits;
  readonly maxHeadersCount: number;
  /** The listener is closing: no more requests on this connection after the current one. */
  readonly draining: boolean;
  request(req: H1Request, res: H1Response): void;
  /** `Connection: upgrade` + `Upgrade: websocket`: the socket leaves the engine for the tunnel. */
  upgrade(req: H1Request, socket: Socket, head: Buffer): void;
  /** Cleartext only: a connection opening with the HTTP/2 preface (h2c prior knowledge). */
  readonly h2c: ((socket: Socket) => void) | null;
  closed(conn: H1Connection): void;
};

/** Bytes of pipelined requests read while one is answered; past this the socket pauses. */
const READ_AHEAD_BYTES = 65_536;
/** How long a connection we closed (FIN sent) may wait for the peer's FIN before it is destroyed. */
const LINGER_MS = 2_000;
/** "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" (RFC 9113 §3.4) starts with this. */
const H2_PREFACE_START = Buffer.from("PRI ");

/** Reasons the socket is paused; it reads when none is set. */
const PAUSE_BODY = 1;
const PAUSE_READ_AHEAD = 2;

export class H1Connection implements TResponseOwner, TBodyPump {
  readonly socket: Socket;
  readonly #owner: TH1Owner;
  readonly #reader: HeadReader;
  #req: H1Request | null = null;
  #res: H1Response | null = null;
  #decoder: BodyDecoder | null = null;
  /** The response is done but the body is still arriving: read and dropped. */
  #discarding = false;
  /** The request asked for `Expect: 100-continue` and has not had it yet. */
  #expectContinue = false;
  #keepAlive = true;
  /** Bytes that arrived while a request was answered (the next requests). */
  #readAhead: Buffer | null = null;
  #paused = 0;
  /** The first bytes are checked for the h2c preface. */
  #sniffing: boolean;
  #sniffed: Buffer | null = null;
  /** The peer sent FIN: no more requests. */
  #ended = false;
  /** We are closing (FIN sent or about to be): nothing more is read. */
  #closing = false;
  /** Timestamps (Date.now()) the listener's sweep compares with the limits; 0 = not running. */
  headStart: number;
  requestStart = 0;
  idleSince = 0;

  constructor(socket: Socket, owner: TH1Owner) {
    this.socket = socket;
    this.#owner = owner;
    this.#reader = new HeadReader(owner.limits.maxHeaderBytes);
    this.#sniffing = owner.h2c !== null;
    // The first head (or, for a silent peer, the first byte) is due within headersTimeoutMs.
    this.headStart = Date.now();
    socket.setNoDelay(true);
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("error", noop);
    socket.once("close", this.#onClose);
  }

  /** Nothing in flight: no request, no partial head. */
  get idle(): boolean {
    return this.#req === null && this.#reader.pending === 0 && this.#readAhead === null;
  }

  // ---- reading --------------------------------------------------------------------

  readonly #onData = (chunk: Buffer): void => {
    if (this.#closing) return;
    if (this.#sniffing) {
      const bytes = this.#sniff(chunk);
      if (bytes === null) return;
      chunk = bytes;
    }
    if (this.#req !== null) return this.#bodyBytes(chunk);
    this.#parse(chunk);
  };

  /** The first bytes: HTTP/1.1 (returned, to be parsed) or the h2c preface (the socket goes to HTTP/2; null). */
  #sniff(chunk: Buffer): Buffer | null {
    const bytes = this.#sniffed === null ? chunk : Buffer.concat([this.#sniffed, chunk]);
    const n = Math.min(bytes.length, H2_PREFACE_START.length);
    if (!bytes.subarray(0, n).equals(H2_PREFACE_START.subarray(0, n))) {
      this.#sniffing = false;
      this.#sniffed = null;
      return bytes;
    }
    // "P", "PR", "PRI": too short to tell an h2 preface from a POST, PUT or PATCH.
    if (n < H2_PREFACE_START.length) {
      this.#sniffed = bytes;
      return null;
    }
    const socket = this.socket;
    socket.off("data", this.#onData);
    socket.off("end", this.#onEnd);
    socket.off("close", this.#onClose);
    socket.off("error", noop);
    this.#owner.closed(this);
    socket.pause();
    socket.unshift(bytes);
    (this.#owner.h2c as (socket: Socket) => void)(socket);
    process.nextTick(() => socket.resume());
    return null;
  }

  /** Heads (and the bodies behind them) while no request is being answered. */
  #parse(chunk: Buffer): void {
    const owner = this.#owner;
    while (this.#req === null && !this.#closing) {
      if (this.headStart === 0) this.headStart = Date.now();
      let head: TRequestHead;
      let rest: Buffer;
      try {
        const r = this.#reader.push(chunk);
        if (r === null) return;
        rest = r.rest;
        head = parseRequestHead(r.head, owner.maxHeadersCount);
      } catch (err) {
        return this.#refuse(err);
      }
      const leftover = this.#start(head, rest);
      if (leftover === null || leftover.length === 0) return;
      if (this.#req !== null) return this.#stash(leftover);
      chunk = leftover;
    }
  }

  /** One request: its body framing, then the pipeline (or the tunnel). Returns the bytes after its body, null when the socket left the engine. */
  #start(head: TRequestHead, rest: Buffer): Buffer | null {
    const raw = head.rawHeaders;
    let framing;
    try {
      framing = requestFraming(head);
    } catch (err) {
      this.#refuse(err);
      return null;
    }
    const hostError = checkHost(head);
    if (hostError !== null) {
      this.#refuseWith(400, hostError);
      return null;
    }
    // Expect is an HTTP/1.1 field (node ignores it on 1.0 too); 100-continue is the only expectation known.
    const expect = head.minor === 1 ? fieldValue(raw, "expect") : undefined;
    if (expect !== undefined && !CONTINUE.test(expect)) {
      this.#refuseWith(417, `unsupported expectation: ${expect}`);
      return null;
    }
    const bodyless = framing.kind === "none" || (framing.kind === "length" && framing.length === 0);
    let keepAliveRequested = keepAlive(head.minor, raw);
    const upgrade = fieldValue(raw, "upgrade");
    const upgrading = upgrade !== undefined && connectionTokens(raw).has("upgrade");
    const req = new H1Request(this, this.socket, head.method, head.target, head.minor, raw, bodyless);
    this.requestStart = this.headStart;
    this.headStart = 0;
    this.idleSince = 0;
    if (upgrading && upgrade.toLowerCase() === "websocket") {
      this.#detach(req, rest);
      return null;
    }
    // Any other upgrade (curl's `Upgrade: h2c`): served as a plain request, then the connection closes.
    if (upgrading) keepAliveRequested = false;
    const res = new H1Response(this, head.method === "HEAD", head.minor);
    this.#keepAlive = keepAliveRequested;
    this.#expectContinue = expect !== undefined && !bodyless;
    this.#req = req;
    this.#res = res;
    this.#decoder = bodyless ? null : new BodyDecoder(framing);
    this.#discarding = false;
    if (bodyless) this.#bodyDone();
    this.#owner.request(req, res);
    if (bodyless || this.#req !== req) return rest;
    return this.#feedBody(rest);
  }

  /** Body bytes of the current request; what follows its end is kept for the next request. */
  #bodyBytes(chunk: Buffer): void {
    const left = this.#decoder !== null && !this.#decoder.done ? this.#feedBody(chunk) : chunk;
    if (left !== null && left.length > 0) this.#stash(left);
  }

  #feedBody(chunk: Buffer): Buffer | null {
    const decoder = this.#decoder as BodyDecoder;
    let offset: number;
    try {
      offset = decoder.push(chunk, 0, this.#onBody);
    } catch (err) {
      this.#bodyFailed(err);
      return null;
    }
    if (decoder.done) this.#bodyDone();
    return offset < chunk.length ? chunk.subarray(offset) : null;
  }

  readonly #onBody = (data: Buffer): void => {
    if (this.#discarding) return;
    const req = this.#req as H1Request;
    if (!req.push(data)) this.#pause(PAUSE_BODY);
  };

  #bodyDone(): void {
    const req = this.#req as H1Request;
    this.requestStart = 0;
    if (this.#decoder !== null) {
      req.rawTrailers = this.#decoder.trailers ?? [];
      req.complete = true;
      if (!this.#discarding) req.push(null);
    }
    this.#resume(PAUSE_BODY);
    if (this.#discarding) this.#next();
  }

  /** TBodyPump: the pipeline reads the body. */
  pull(): void {
    if (this.#expectContinue) {
      this.#expectContinue = false;
      if (this.#res !== null && !this.#res.headersSent) this.socket.write("HTTP/1.1 100 Continue\r\n\r\n", "latin1");
    }
    this.#resume(PAUSE_BODY);
  }

  #stash(bytes: Buffer): void {
    const held = this.#readAhead;
    this.#readAhead = held === null ? bytes : Buffer.concat([held, bytes]);
    if (this.#readAhead.length > READ_AHEAD_BYTES) this.#pause(PAUSE_READ_AHEAD);
  }

  #pause(reason: number): void {
    if (this.#paused === 0) this.socket.pause();
    this.#paused |= reason;
  }

  #resume(reason: number): void {
    if ((this.#paused & reason) === 0) return;
    this.#paused &= ~reason;
    if (this.#paused === 0 && !this.#closing) this.socket.resume();
  }

  // ---- the response side ---------------------------------------------------------

  /** TResponseOwner: asked at writeHead. */
  keepAliveAllowed(): boolean {
    // A client still waiting for 100 Continue would send its body after our answer: not reusable.
    return this.#keepAlive && !this.#ended && !this.#owner.draining && !this.#expectContinue;
  }

  /** TResponseOwner: the response's last byte is flushed. */
  responseFinished(res: H1Response, keepAlive: boolean): void {
    if (res !== this.#res || this.#closing) return;
    if (!keepAlive || this.#ended || this.#owner.draining) return this.close();
    const decoder = this.#decoder;
    if (decoder !== null && !decoder.done) {
      // Answered before the body was read (e.g. a 4xx): the rest of the body is read and dropped.
      this.#discarding = true;
      this.#resume(PAUSE_BODY);
      return;
    }
    this.#next();
  }

  /** The connection is free for the next request: any read-ahead bytes are parsed now. */
  #next(): void {
    this.#req = null;
    this.#res = null;
    this.#decoder = null;
    this.#discarding = false;
    this.requestStart = 0;
    this.idleSince = Date.now();
    const held = this.#readAhead;
    this.#readAhead = null;
    if (held !== null) this.#parse(held);
    // Still a full read-ahead (a long pipeline): stay paused until more of it is answered.
    const rest = this.#readAhead as Buffer | null;
    if (rest === null || rest.length <= READ_AHEAD_BYTES) this.#resume(PAUSE_READ_AHEAD);
  }

  // ---- errors, timeouts and closing ----------------------------------------------

  /** A head that cannot be served: an error answer with `connection: close`, nothing reaches the pipeline. */
  #refuse(err: unknown): void {
    this.#refuseWith(err instanceof HttpParseError ? err.status : 400, err instanceof Error ? err.message : "bad request");
  }

  #refuseWith(status: number, message: string): void {
    this.#closing = true;
    this.socket.end(errorResponse(status, REASONS[status] ?? "Bad Request", message));
    this.#linger();
  }

  /** Bad chunked framing mid-body: the request's body fails (its upstream try is aborted) and the connection closes. */
  #bodyFailed(err: unknown): void {
    const status = err instanceof HttpParseError ? err.status : 400;
    this.#closing = true;
    (this.#res as H1Response).abort(status, REASONS[status] ?? "Bad Request", err instanceof Error ? err.message : "bad request body");
    (this.#req as H1Request).destroy(Object.assign(new Error("invalid request body"), { code: "ECONNRESET" }));
    this.#linger();
  }

  /** Called by the listener's sweep with the current limits. */
  checkTimeouts(now: number, limits: TListenerLimits): void {
    if (this.#closing) return;
    const requestTimeout = limits.requestTimeoutMs;
    const headTimeout = headersTimeout(limits);
    if (this.#req === null) {
      if (this.headStart !== 0 && headTimeout > 0 && now - this.headStart >= headTimeout) {
        // A peer that never sent a byte is just closed; a slow head gets its answer.
        if (this.#reader.pending === 0 && this.#readAhead === null) return void this.socket.destroy();
        this.#refuseWith(408, "request head not received in time");
      } else if (this.headStart === 0 && this.idleSince !== 0 && limits.idleTimeoutMs > 0 && now - this.idleSince >= limits.idleTimeoutMs) {
        this.close();
      }
      return;
    }
    if (this.requestStart !== 0 && requestTimeout > 0 && now - this.requestStart >= requestTimeout) {
      // Answered already, the rest of the body still trickling in: just close.
      if (this.#discarding) return void this.socket.destroy();
      this.#closing = true;
      (this.#res as H1Response).abort(408, "Request Timeout", "request timeout");
      (this.#req as H1Request).destroy(Object.assign(new Error("request timeout"), { code: "ECONNRESET" }));
      this.#linger();
    }
  }

  /** No more requests: FIN after what is written; idle connections close at once. */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.socket.end();
    this.#linger();
  }

  /** The listener closes: idle connections now, busy ones after their response. */
  drain(): void {
    if (this.idle) this.close();
  }

  #linger(): void {
    const socket = this.socket;
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  }

  /**
   * The peer sent FIN. Between requests the connection just closes. With a request in
   * flight the client is taken as gone (node:http and Envoy do the same): its response is
   * abandoned (DC) and any upstream work cancelled.
   */
  readonly #onEnd = (): void => {
    this.#ended = true;
    if (this.#req === null) return this.close();
    this.socket.destroy();
  };

  readonly #onClose = (): void => {
    this.#closing = true;
    const req = this.#req;
    if (req !== null && !req.complete && this.#decoder !== null) req.destroy(Object.assign(new Error("aborted"), { code: "ECONNRESET" }));
    this.#res?.socketClosed();
    this.#owner.closed(this);
  };

  /** A websocket upgrade: the socket goes to the tunnel with the bytes that followed the head. */
  #detach(req: H1Request, rest: Buffer): void {
    const socket = this.socket;
    socket.off("data", this.#onData);
    socket.off("end", this.#onEnd);
    socket.off("close", this.#onClose);
    this.#owner.closed(this);
    // Bytes the client sends before the tunnel is piped wait in the socket.
    socket.pause();
    this.#owner.upgrade(req, socket, rest);
  }
}

/** RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, and for any with more than one. */
function checkHost(head: TRequestHead): string | null {
  const raw = head.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === "host") hosts++;
  }
  if (hosts > 1) return "more than one Host field";
  if (hosts === 0 && head.minor === 1) return "HTTP/1.1 request without Host";
  return null;
}

/** The time a request head may take: headersTimeoutMs, never past requestTimeoutMs (which covers the head too). */
export function headersTimeout(l: TListenerLimits): number {
  return l.requestTimeoutMs > 0 ? Math.min(l.headersTimeoutMs, l.requestTimeoutMs) : l.headersTimeoutMs;
}

function noop(): void {}

/** node's test for the 100-continue expectation. */
const CONTINUE = /(?:^|\W)100-continue(?:$|\W)/i;

const REASONS: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  413: "Payload Too Large",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
};
