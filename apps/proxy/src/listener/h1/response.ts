import type { Socket } from "node:net";
import { CHUNK_END, chunkHeader, lastChunk, responseHead } from "../../http1/serialize.ts";
import type { TRequestDownstream } from "../../pipeline/downstream.ts";

/**
 * The response of one HTTP/1.1 request, written straight to the socket (no
 * ServerResponse): the head is serialized once at writeHead and held until the first body
 * bytes or the end, so head and a small body leave in ONE write. Framing (RFC 9112 §6):
 * Content-Length when the pipeline gives one, else chunked on HTTP/1.1 (trailers go in the
 * last chunk), else close-delimited (HTTP/1.0). HEAD, 1xx, 204 and 304 carry no body.
 */

/** What the response needs from its connection. */
export type TResponseOwner = {
  readonly socket: Socket;
  /** The connection may carry another request after this one (request, listener draining). */
  keepAliveAllowed(): boolean;
  /** The last byte was handed to the socket and flushed: the connection moves on. */
  responseFinished(res: H1Response, keepAlive: boolean): void;
};

/** Bodies up to this size are copied behind the head into one buffer; bigger ones go as a writev. */
const COALESCE_BYTES = 16_384;
const EMPTY = Buffer.alloc(0);

export class H1Response implements TRequestDownstream {
  readonly h2 = false;
  headersSent = false;
  status = 0;
  /** Decided at writeHead: whether the connection stays open after this response. */
  keepAlive = false;
  readonly #owner: TResponseOwner;
  readonly #socket: Socket;
  readonly #head: boolean;
  readonly #minor: 0 | 1;
  /** Serialized head not written yet (sent with the first body bytes or the end). */
  #pendingHead: string | null = null;
  #chunked = false;
  #bodyless = false;
  #ended = false;
  #finished = false;
  #onClose: ((abandoned: boolean) => void) | null = null;

  constructor(owner: TResponseOwner, isHead: boolean, minor: 0 | 1) {
    this.#owner = owner;
    this.#socket = owner.socket;
    this.#head = isHead;
    this.#minor = minor;
  }

  get writable(): boolean {
    return !this.headersSent && !this.#ended && !this.#socket.destroyed;
  }

  /** Every byte was written and flushed. */
  get finished(): boolean {
    return this.#finished;
  }

  onClose(cb: (abandoned: boolean) => void): void {
    this.#onClose = cb;
  }

  writeHead(status: number, headers: string[]): void {
    if (this.headersSent) return;
    let length = false;
    let chunked = false;
    let closeField = false;
    let date = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as string;
      // Only the few fields that decide framing; names are compared case-insensitively
      // only when the length matches (most are already lower case).
      switch (name.length) {
        case 4:
          if (name.toLowerCase() === "date") date = true;
          break;
        case 10:
          if (name.toLowerCase() === "connection" && (headers[i + 1] as string).toLowerCase().includes("close")) closeField = true;
          break;
        case 14:
          if (name.toLowerCase() === "content-length") length = true;
          break;
        case 17:
          if (name.toLowerCase() === "transfer-encoding") chunked = (headers[i + 1] as string).toLowerCase().endsWith("chunked");
          break;
      }
    }
    this.#bodyless = this.#head || status < 200 || status === 204 || status === 304;
    let extra = "";
    let close = closeField;
    if (!this.#bodyless && !length && !chunked) {
      if (this.#minor === 1) {
        chunked = true;
        extra += "transfer-encoding: chunked\r\n";
      } else close = true; // HTTP/1.0: the body ends when the connection does
    }
    this.#chunked = chunked && !this.#bodyless;
    const keepAlive = !close && this.#owner.keepAliveAllowed();
    this.keepAlive = keepAlive;
    if (!keepAlive) {
      if (!closeField) extra += "connection: close\r\n";
    } else if (this.#minor === 0) extra += "connection: keep-alive\r\n";
    if (!date) extra += `date: ${httpDate()}\r\n`;
    const text = responseHead(status, headers);
    this.#pendingHead = extra === "" ? text : `${text.slice(0, -2)}${extra}\r\n`;
    this.headersSent = true;
    this.status = status;
  }

  write(chunk: Buffer, onDrain: () => void): boolean {
    if (this.#ended || this.#socket.destroyed) return true;
    if (this.#bodyless || chunk.length === 0) return this.#flushHead();
    const ok = this.#send(chunk, null, false);
    if (!ok) this.#socket.once("drain", onDrain);
    return ok;
  }

  end(body?: Buffer | string, trailers?: Record<string, string> | null): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!this.headersSent) this.writeHead(200, []);
    if (this.#socket.destroyed) return;
    let data: Buffer = EMPTY;
    if (body !== undefined && !this.#bodyless && body.length > 0) data = typeof body === "string" ? Buffer.from(body) : body;
    this.#send(data, trailers ?? null, true);
  }

  destroy(): void {
    this.#ended = true;
    this.#socket.destroy();
  }

  /**
   * The connection answers for the pipeline (parse error mid-body, request timeout): a raw
   * error response if nothing was sent yet, else a reset; the pipeline's later writes are dropped.
   */
  abort(status: number, reason: string, message: string): void {
    const sent = this.headersSent && this.#pendingHead === null;
    this.#ended = true;
    this.headersSent = true;
    if (sent || this.#socket.destroyed) return void this.#socket.destroy();
    this.status = status;
    this.#socket.end(errorResponse(status, reason, message));
  }

  /** The socket closed: the pipeline's finish runs (abandoned unless every byte was flushed). */
  socketClosed(): void {
    const cb = this.#onClose;
    this.#onClose = null;
    this.#ended = true;
    cb?.(!this.#finished);
  }

  #flushHead(): boolean {
    const head = this.#pendingHead;
    if (head === null) return true;
    this.#pendingHead = null;
    return this.#socket.write(head, "latin1");
  }

  /** Head (if still held), body framed as chunked or raw, the last chunk when ending: one write when small. */
  #send(data: Buffer, trailers: Record<string, string> | null, end: boolean): boolean {
    const socket = this.#socket;
    const head = this.#pendingHead;
    this.#pendingHead = null;
    let prefix = head ?? "";
    let suffix = "";
    if (this.#chunked) {
      if (data.length > 0) {
        prefix += chunkHeader(data.length);
        suffix = CHUNK_END;
      }
      if (end) suffix += lastChunk(trailers ? flatten(trailers) : null);
    }
    const done = end ? (err?: Error | null) => (err ? undefined : this.#flushed()) : undefined;
    const prefixLength = prefix.length;
    const total = prefixLength + data.length + suffix.length;
    if (total === 0) {
      if (done) process.nextTick(done);
      return true;
    }
    if (data.length <= COALESCE_BYTES) {
      if (data.length === 0 && (prefixLength === 0 || suffix.length === 0)) return socket.write(prefix + suffix, "latin1", done);
      const out = Buffer.allocUnsafe(total);
      out.write(prefix, 0, "latin1");
      data.copy(out, prefixLength);
      if (suffix.length) out.write(suffix, prefixLength + data.length, "latin1");
      return socket.write(out, done);
    }
    // Large bodies: no copy; cork makes the pieces one writev.
    socket.cork();
    if (prefixLength) socket.write(prefix, "latin1");
    let ok = socket.write(data, suffix.length ? undefined : done);
    if (suffix.length) ok = socket.write(suffix, "latin1", done);
    socket.uncork();
    return ok;
  }

  #flushed(): void {
    if (this.#finished || this.#socket.destroyed) return;
    this.#finished = true;
    const cb = this.#onClose;
    this.#onClose = null;
    cb?.(false);
    this.#owner.responseFinished(this, this.keepAlive);
  }
}

function flatten(trailers: Record<string, string>): string[] {
  const out: string[] = [];
  for (const name in trailers) out.push(name, trailers[name] as string);
  return out;
}

/** A complete error response that closes the connection (the engine's own answers: 400, 408, 431...). */
export function errorResponse(status: number, reason: string, message: string): string {
  const body = `${message}\n`;
  return `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\ndate: ${httpDate()}\r\n\r\n${body}`;
}

let dateText = "";
let dateSecond = 0;

/** The Date field value, formatted once per second. */
export function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}
