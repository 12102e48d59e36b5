import http2, { type OutgoingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { Duplex } from "node:stream";
import { responseHead } from "../http1/serialize.ts";

/**
 * Where a request's response goes: the HTTP/1.1 engine's response (listener/h1), an
 * HTTP/2 stream, or the raw socket of an HTTP/1.1 Upgrade request (whose
 * response head the proxy writes itself). The pipeline writes through this one shape, so
 * local replies, encoder filters and the finish step are the same for every request kind.
 */
export type TDownstream = {
  /** HTTP/2 downstream. */
  readonly h2: boolean;
  readonly headersSent: boolean;
  /** Status of the head written (0 before one). */
  readonly status: number;
  /** Still possible to write a response (not ended, not destroyed). */
  readonly writable: boolean;
  writeHead(status: number, headers: string[]): void;
  /** false = back pressure: `onDrain` runs once the client took the bytes. */
  write(chunk: Buffer, onDrain: () => void): boolean;
  /** Ends the response; `trailers` go out on HTTP/2 and on chunked HTTP/1.1 responses. */
  end(body?: Buffer | string, trailers?: Record<string, string> | null): void;
  destroy(err?: Error): void;
};

/** A plain request's downstream: it also says when it closed, and whether the client left before the whole response. */
export type TRequestDownstream = TDownstream & {
  onClose(cb: (abandoned: boolean) => void): void;
};

/** Connection-specific fields HTTP/2 forbids (RFC 9113 §8.2.2): dropped from a response head, as node's compat layer did. */
const H2_CONNECTION_FIELDS = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

/**
 * An HTTP/2 stream's response on node:http2's stream API. The head is sent at the end of
 * the tick it was written in (or with the end of the response, whichever comes first), so
 * an answer written whole in one tick (a local reply, a small upstream response that came
 * in one read) goes out as HEADERS + DATA with END_STREAM; a response still streaming at
 * the end of that tick is sent waiting for trailers (gRPC's grpc-status), ended by the
 * trailers or an empty END_STREAM DATA frame.
 */
export class H2Downstream implements TRequestDownstream {
  readonly stream: ServerHttp2Stream;
  readonly h2 = true;
  status = 0;
  /** The head not sent yet (status + fields as an object), null once sent or when none was written. */
  #head: OutgoingHttpHeaders | null = null;
  /** Body chunks written in the head's tick. */
  #held: Buffer[] | null = null;
  #trailers: Record<string, string> | null = null;
  #ended = false;

  constructor(stream: ServerHttp2Stream) {
    this.stream = stream;
    // A stream destroyed with an error must not take the process down; the close handler reports it.
    stream.on("error", ignore);
  }

  get headersSent(): boolean {
    return this.status !== 0;
  }

  get writable(): boolean {
    return this.status === 0 && !this.#ended && !this.stream.destroyed;
  }

  writeHead(status: number, headers: string[]): void {
    this.status = status;
    const head: OutgoingHttpHeaders = { ":status": status };
    for (let i = 0; i < headers.length; i += 2) {
      const name = (headers[i] as string).toLowerCase();
      if (H2_CONNECTION_FIELDS.has(name)) continue;
      const value = headers[i + 1] as string;
      const seen = head[name];
      head[name] = seen === undefined ? (name === "set-cookie" ? [value] : value) : Array.isArray(seen) ? [...seen, value] : [seen as string, value];
    }
    this.#head = head;
    queueMicrotask(() => this.#sendHead());
  }

  /** The end of the head's tick: the response is still open, so it is sent able to carry trailers. */
  #sendHead(): void {
    const head = this.#head;
    if (head === null || this.#ended) return;
    this.#head = null;
    const stream = this.stream;
    if (stream.destroyed) return;
    stream.once("wantTrailers", () => stream.sendTrailers(this.#trailers ?? {}));
    stream.respond(head, { waitForTrailers: true });
    const held = this.#held;
    this.#held = null;
    if (held) for (const c of held) stream.write(c);
  }

  write(chunk: Buffer, onDrain: () => void): boolean {
    if (this.#head !== null) {
      (this.#held ??= []).push(chunk);
      return true;
    }
    if (this.stream.write(chunk)) return true;
    this.stream.once("drain", onDrain);
    return false;
  }

  end(body?: Buffer | string, trailers?: Record<string, string> | null): void {
    if (this.#ended) return;
    this.#ended = true;
    const stream = this.stream;
    if (stream.destroyed) return;
    const head = this.#head;
    if (head === null) {
      // The head went out waiting for trailers: they (or an empty END_STREAM frame) end the stream.
      this.#trailers = trailers ?? null;
      if (body === undefined || body.length === 0) stream.end();
      else stream.end(body);
      return;
    }
    // The whole response in one tick: HEADERS (+ DATA) with END_STREAM, trailers only when there are some.
    this.#head = null;
    const held = this.#held;
    this.#held = null;
    const empty = (body === undefined || body.length === 0) && held === null;
    if (trailers) {
      this.#trailers = trailers;
      stream.once("wantTrailers", () => stream.sendTrailers(trailers));
      stream.respond(head, { waitForTrailers: true });
    } else {
      stream.respond(head, empty ? { endStream: true } : {});
    }
    if (held) for (const c of held) stream.write(c);
    if (empty && !trailers) return;
    if (body === undefined || body.length === 0) stream.end();
    else stream.end(body);
  }

  destroy(err?: Error): void {
    this.#head = null;
    this.#held = null;
    this.stream.destroy(err);
  }

  /** `abandoned`: the client reset the stream, or it closed before the whole response was sent. */
  onClose(cb: (abandoned: boolean) => void): void {
    const stream = this.stream;
    stream.once("close", () => cb(stream.aborted || !this.#ended || (stream.rstCode !== undefined && stream.rstCode !== NO_ERROR)));
  }
}

const NO_ERROR = http2.constants.NGHTTP2_NO_ERROR;

function ignore(): void {
  // see H2Downstream's constructor
}

/** The socket of an HTTP/1.1 Upgrade request: the head is serialized here, then bytes flow raw. */
export class UpgradeDownstream implements TDownstream {
  readonly socket: Duplex;
  readonly h2 = false;
  headersSent = false;
  status = 0;

  constructor(socket: Duplex) {
    this.socket = socket;
  }

  get writable(): boolean {
    return !this.headersSent && !this.socket.destroyed && this.socket.writable;
  }

  writeHead(status: number, headers: string[]): void {
    this.headersSent = true;
    this.status = status;
    this.socket.write(responseHead(status, headers), "latin1");
  }

  write(chunk: Buffer, onDrain: () => void): boolean {
    if (this.socket.write(chunk)) return true;
    this.socket.once("drain", onDrain);
    return false;
  }

  end(body?: Buffer | string): void {
    endUpgradeSocket(this.socket, body);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** How long an upgrade socket answered without a tunnel may wait for the client's FIN. */
const UPGRADE_LINGER_MS = 2_000;

/**
 * Ends an Upgrade request's socket after a final answer (no tunnel): bytes the client sent
 * meanwhile are read and dropped (unread bytes would turn our FIN into a reset that can
 * cost the client the answer), and a client that never closes is cut after a short wait.
 */
export function endUpgradeSocket(socket: Duplex, body?: Buffer | string): void {
  socket.resume();
  if (body === undefined || body.length === 0) socket.end();
  else socket.end(body);
  const timer = setTimeout(() => socket.destroy(), UPGRADE_LINGER_MS);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
}
