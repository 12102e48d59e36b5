import type { Socket } from "node:net";
import { BodyDecoder } from "../http1/body-decoder.ts";
import { keepAlive, responseFraming } from "../http1/framing.ts";
import { HeadReader, fieldValue, parseResponseHead } from "../http1/head.ts";
import { CHUNK_END, chunkHeader, lastChunk } from "../http1/serialize.ts";
import { UpstreamConnectTimeoutError } from "./errors.ts";
import type { H1UpstreamRequest, TRequestHost } from "./h1-request.ts";

/** An upstream response head past this is refused (Envoy's default limit is 60 KiB). */
const MAX_RESPONSE_HEAD_BYTES = 65_536;
const MAX_RESPONSE_HEADERS = 500;

/** What a connection tells its pool. */
export type TConnectionOwner = {
  /** Connected (TLS: handshake done). */
  ready(conn: H1Connection): void;
  /** A response completed and the connection may carry another request. */
  released(conn: H1Connection): void;
  /** The socket is gone; `err` set when it never connected. `stale`: a request to send again on a fresh connection. */
  gone(conn: H1Connection, connectError: Error | null, stale: H1UpstreamRequest | null): void;
  /** How long this connection may idle given the response's fields; 0 = do not reuse. */
  keepAliveMs(rawHeaders: readonly string[]): number;
};

function socketError(message: string): Error {
  return Object.assign(new Error(message), { code: "UND_ERR_SOCKET" });
}

/**
 * One upstream HTTP/1.1 connection carrying one request at a time (no pipelining, DESIGN
 * §5). The request head goes out in the same write as the body (a Buffer) or its first
 * chunk; the response head is parsed by the shared codec (http1/), the body handed on
 * as the socket delivers it, with back pressure: a handler that answers false pauses the
 * socket, and bytes already read wait here until it resumes. The connection is reused
 * only when RFC 9112 allows it: the response was complete and length- or chunk-delimited,
 * keep-alive (HTTP/1.1 without Connection: close, or HTTP/1.0 with keep-alive), and the
 * request went out whole.
 */
export class H1Connection implements TRequestHost {
  readonly socket: Socket;
  readonly #owner: TConnectionOwner;
  #connectTimer: NodeJS.Timeout | null;
  #ready = false;
  #gone = false;
  /** Responses completed here: > 0 = a reused connection (the stale-retry case). */
  served = 0;
  /** How long it may idle after the current response (set from its head). */
  keepAliveMs = 0;
  #req: H1UpstreamRequest | null = null;
  readonly #reader = new HeadReader(MAX_RESPONSE_HEAD_BYTES);
  #decoder: BodyDecoder | null = null;
  /** Any byte of a response to the current request arrived. */
  #responded = false;
  #reusable = false;
  /** The request's last byte was written. */
  #sent = false;
  /** The handler asked for back pressure: the socket is paused and what it had read waits here. */
  #paused = false;
  #heldRaw: Buffer | null = null;
  #heldData: Buffer[] = [];
  #completeHeld = false;
  #endHeld = false;
  /** Set while this connection is in the pool's idle list (its socket timer is the keep-alive timeout). */
  idle = false;

  /** `connected`: an adopted socket, ready now (the owner counts it itself). */
  constructor(socket: Socket, owner: TConnectionOwner, tls: boolean, connectTimeoutMs: number, connected = false) {
    this.socket = socket;
    this.#owner = owner;
    this.#ready = connected;
    this.#connectTimer = connected ? null : setTimeout(onConnectTimeout, connectTimeoutMs, this, connectTimeoutMs);
    if (!connected) socket.once(tls ? "secureConnect" : "connect", () => this.#onReady());
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("end", () => this.#onEnd());
    socket.on("error", (err: Error) => this.#onGone(err));
    socket.on("close", () => this.#onGone(null));
    socket.on("timeout", () => {
      // Only idle connections arm the socket timer: their keep-alive time ran out.
      if (this.idle) socket.destroy();
    });
  }

  /** Not dead: may take a request. */
  get usable(): boolean {
    return this.#ready && !this.#gone && !this.socket.destroyed && !this.socket.readableEnded;
  }

  connectTimedOut(ms: number): void {
    this.#connectTimer = null;
    if (!this.#ready) this.socket.destroy(new UpstreamConnectTimeoutError(ms));
  }

  #onReady(): void {
    if (this.#connectTimer !== null) clearTimeout(this.#connectTimer);
    this.#connectTimer = null;
    this.#ready = true;
    this.#owner.ready(this);
  }

  /** Parks the connection: unref'd (an idle pool must not hold the process open), closed after `keepAliveMs`. */
  park(): void {
    this.idle = true;
    this.socket.setTimeout(this.keepAliveMs);
    this.socket.unref();
  }

  /** Sends `req` on this connection (idle or just connected). */
  run(req: H1UpstreamRequest): void {
    if (this.idle) {
      this.idle = false;
      this.socket.setTimeout(0);
      this.socket.ref();
    }
    req.connect();
    // Aborted in onConnect (a try cancelled while it queued): nothing was written, the connection is still clean.
    if (req.done) return this.#owner.released(this);
    this.#req = req;
    req.host = this;
    this.#responded = false;
    this.#reusable = false;
    this.#sent = false;
    const body = req.body;
    const s = this.socket;
    if (body === null) {
      s.write(req.head, "latin1");
      this.#sent = true;
    } else if (Buffer.isBuffer(body)) {
      // One writev for head and body.
      s.cork();
      s.write(req.head, "latin1");
      if (body.length > 0) s.write(body);
      s.uncork();
      this.#sent = true;
    } else void this.#pump(req, body);
  }

  /**
   * Streams a body with back pressure. The head waits for the first chunk and shares its
   * write (as undici did): a body that fails before its first byte (a malformed chunked
   * body, a client gone) sends nothing upstream at all.
   */
  async #pump(req: H1UpstreamRequest, body: AsyncIterable<Buffer>): Promise<void> {
    const s = this.socket;
    let headSent = false;
    let sent = 0;
    try {
      const it = body[Symbol.asyncIterator]();
      for (;;) {
        const r = await it.next();
        if (this.#req !== req) return; // aborted, failed, or answered before the body was sent
        if (r.done) break;
        const chunk = r.value;
        if (chunk.length === 0) continue;
        sent += chunk.length;
        if (!req.chunked && sent > req.declaredLength) throw lengthMismatch();
        s.cork();
        if (!headSent) {
          headSent = true;
          s.write(req.head, "latin1");
        }
        if (req.chunked) {
          s.write(chunkHeader(chunk.length), "latin1");
          s.write(chunk);
          s.write(CHUNK_END, "latin1");
        } else s.write(chunk);
        s.uncork();
        if (s.writableNeedDrain) await drained(s);
      }
      if (!req.chunked && sent !== req.declaredLength) throw lengthMismatch();
      const tail = req.chunked ? lastChunk() : "";
      if (!headSent) s.write(req.head + tail, "latin1");
      else if (tail) s.write(tail, "latin1");
      this.#sent = true;
    } catch (err) {
      // The body source failed (client gone, body too large): the upstream must not see a
      // body that looks complete, so the connection goes with it.
      if (this.#req === req) this.#failRequest(req, err as Error);
    }
  }

  // ---- response ---------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    const req = this.#req;
    if (req === null) {
      // Bytes nobody asked for (a late answer to an aborted request, or garbage): not reusable.
      this.socket.destroy();
      return;
    }
    this.#responded = true;
    if (this.#paused) {
      this.#heldRaw = this.#heldRaw === null ? chunk : Buffer.concat([this.#heldRaw, chunk]);
      return;
    }
    this.#consume(req, chunk);
  }

  /** Parses heads (1xx skipped) and decodes the body until the chunk is used up or the handler pauses. */
  #consume(req: H1UpstreamRequest, chunk: Buffer): void {
    let rest = chunk;
    while (this.#decoder === null) {
      let got: { head: Buffer; rest: Buffer } | null;
      let status: number;
      try {
        got = this.#reader.push(rest);
        if (got === null) return;
        const head = parseResponseHead(got.head, MAX_RESPONSE_HEADERS);
        status = head.status;
        if (status < 200) {
          // 100 Continue and other interim answers: the final response follows (no upgrades through the pool).
          if (status === 101) throw socketError("upstream switched protocols on a plain request");
          rest = got.rest;
          if (rest.length === 0) return;
          continue;
        }
        const framing = responseFraming(req.method, head);
        // Chunked beside a Content-Length: the body is read as chunked, the connection not trusted after it.
        const ambiguous = framing.kind === "chunked" && fieldValue(head.rawHeaders, "content-length") !== undefined;
        this.keepAliveMs = framing.kind !== "close" && !ambiguous && keepAlive(head.minor, head.rawHeaders) ? this.#owner.keepAliveMs(head.rawHeaders) : 0;
        this.#reusable = this.keepAliveMs > 0;
        this.#decoder = new BodyDecoder(framing);
        rest = got.rest;
        if (req.handler.onHeaders(status, head.rawHeaders, req.resume) === false) this.#pause();
      } catch (err) {
        return this.#failRequest(req, err as Error);
      }
      if (this.#req !== req) return; // the handler aborted (a retry decision)
    }
    this.#decodeBody(req, rest);
  }

  #decodeBody(req: H1UpstreamRequest, chunk: Buffer): void {
    const decoder = this.#decoder as BodyDecoder;
    if (this.#paused && chunk.length > 0) {
      this.#heldRaw = chunk;
      return;
    }
    let end: number;
    try {
      end = decoder.push(chunk, 0, this.#onBody);
    } catch (err) {
      return this.#failRequest(req, err as Error);
    }
    if (this.#req !== req || !decoder.done) return;
    // Bytes after the response that nobody asked for: answer them by closing.
    if (end < chunk.length) this.#reusable = false;
    if (this.#paused) this.#completeHeld = true;
    else this.#complete(req);
  }

  /** The decoder's body pieces, for the current request (one function per connection, not per chunk). */
  readonly #onBody = (data: Buffer): void => {
    const req = this.#req;
    if (req === null) return;
    if (this.#paused) this.#heldData.push(data);
    else if (req.handler.onData(data) === false) this.#pause();
  };

  #pause(): void {
    this.#paused = true;
    this.socket.pause();
  }

  /** TRequestHost: the handler drained; what waited goes first, then the socket reads again. */
  resumeRequest(req: H1UpstreamRequest): void {
    if (this.#req !== req || !this.#paused) return;
    this.#paused = false;
    const held = this.#heldData;
    while (held.length > 0 && !this.#paused && this.#req === req) {
      if (req.handler.onData(held.shift() as Buffer) === false) this.#pause();
    }
    if (this.#paused || this.#req !== req) return;
    if (this.#completeHeld) return this.#complete(req);
    const raw = this.#heldRaw;
    if (raw !== null) {
      this.#heldRaw = null;
      this.#consume(req, raw);
      if (this.#paused || this.#req !== req) return;
    }
    if (this.#endHeld) return this.#onEnd();
    this.socket.resume();
  }

  #complete(req: H1UpstreamRequest): void {
    const trailers = (this.#decoder as BodyDecoder).trailers;
    this.#req = null;
    this.#decoder = null;
    this.#completeHeld = false;
    this.#paused = false;
    // Completed by a resume: the socket reads again for the next response.
    if (this.socket.isPaused()) this.socket.resume();
    this.served++;
    req.host = null;
    req.done = true;
    const reuse = this.#reusable && this.#sent && !this.#gone;
    req.handler.onComplete(trailers);
    if (reuse) this.#owner.released(this);
    else this.socket.destroy();
  }

  /** The upstream half-closed: ends a close-delimited body; anything else cut short fails on 'close'. */
  #onEnd(): void {
    const req = this.#req;
    const decoder = this.#decoder;
    if (req === null || decoder === null) return;
    if (this.#paused) {
      this.#endHeld = true;
      return;
    }
    this.#endHeld = false;
    if (decoder.end()) {
      this.#reusable = false;
      this.#complete(req);
    }
  }

  // ---- failures ---------------------------------------------------------------------

  /** TRequestHost: the handler aborted (timeout, client gone, retry): the socket goes unless nothing was written. */
  abortRequest(req: H1UpstreamRequest): void {
    if (this.#req !== req) return;
    this.#req = null;
    this.socket.destroy();
  }

  #failRequest(req: H1UpstreamRequest, err: Error): void {
    this.#req = null;
    this.socket.destroy();
    req.fail(err);
  }

  #onGone(err: Error | null): void {
    if (this.#gone) return;
    // A close-delimited body whose end waits for the handler to drain finishes then.
    if (err === null && this.#endHeld) {
      this.#gone = true;
      return this.#owner.gone(this, null, null);
    }
    this.#gone = true;
    if (this.#connectTimer !== null) clearTimeout(this.#connectTimer);
    this.#connectTimer = null;
    if (!this.#ready) {
      // Never connected: the pool fails what waited for it.
      return this.#owner.gone(this, err ?? socketError("upstream closed the connection while connecting"), null);
    }
    const req = this.#req;
    this.#req = null;
    if (req === null || req.done) return this.#owner.gone(this, null, null);
    req.host = null;
    // A reused connection the upstream had already closed: the request never reached it.
    const stale = !this.#responded && this.served > 0 && req.replayable && !req.retried;
    if (stale) return this.#owner.gone(this, null, req);
    this.#owner.gone(this, null, null);
    req.fail(err ?? socketError(this.#responded ? "upstream closed the connection before the response completed" : "other side closed"));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function onConnectTimeout(conn: H1Connection, ms: number): void {
  conn.connectTimedOut(ms);
}

function lengthMismatch(): Error {
  return Object.assign(new Error("request body length does not match its Content-Length"), { code: "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH" });
}

/** Resolves once the socket drained (or closed: the loop then sees the request gone). */
function drained(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      s.off("drain", done);
      s.off("close", done);
      resolve();
    };
    s.on("drain", done);
    s.on("close", done);
  });
}
