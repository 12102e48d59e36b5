import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Duplex } from "node:stream";
import { responseHead } from "../http1/serialize.ts";

/**
 * Where a request's response goes: the HTTP/1.1 engine's response (listener/h1), a
 * node:http2 compat response, or the raw socket of an HTTP/1.1 Upgrade request (whose
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

/** An HTTP/2 stream's response (node:http2 compat API). */
export class H2Downstream implements TRequestDownstream {
  readonly req: Http2ServerRequest;
  readonly res: Http2ServerResponse;
  readonly h2 = true;

  constructor(req: Http2ServerRequest, res: Http2ServerResponse) {
    this.req = req;
    this.res = res;
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  get status(): number {
    return this.res.headersSent ? this.res.statusCode : 0;
  }

  get writable(): boolean {
    const r = this.res;
    return !r.headersSent && !r.destroyed && !r.writableEnded;
  }

  writeHead(status: number, headers: string[]): void {
    (this.res as unknown as { writeHead(s: number, h: string[]): void }).writeHead(status, headers);
  }

  write(chunk: Buffer, onDrain: () => void): boolean {
    if (this.res.write(chunk)) return true;
    this.res.once("drain", onDrain);
    return false;
  }

  end(body?: Buffer | string, trailers?: Record<string, string> | null): void {
    if (trailers) this.res.addTrailers(trailers);
    if (body === undefined) this.res.end();
    else this.res.end(body);
  }

  destroy(err?: Error): void {
    this.res.destroy(err);
  }

  /**
   * `abandoned`: the client reset or left before the response was complete. A compat
   * response reports writableFinished even for a reset stream, hence `aborted` too.
   */
  onClose(cb: (abandoned: boolean) => void): void {
    this.res.once("close", () => cb(!this.res.writableFinished || this.req.aborted));
  }
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
