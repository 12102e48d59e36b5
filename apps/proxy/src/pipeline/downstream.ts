import type { ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Duplex } from "node:stream";
import { STATUS_CODES } from "node:http";
import type { TDownstreamRequest, TDownstreamResponse } from "../listener/http-listener.ts";

/**
 * Where a request's response goes: a node:http / node:http2 compat response, or the raw
 * socket of an HTTP/1.1 Upgrade request (whose response head the proxy writes itself).
 * The pipeline writes through this one shape, so local replies, encoder filters and the
 * finish step are the same for every request kind.
 */
export type TDownstream = {
  /** HTTP/2 downstream: trailers can be sent. */
  readonly h2: boolean;
  readonly headersSent: boolean;
  /** Status of the head written (0 before one). */
  readonly status: number;
  /** Still possible to write a response (not ended, not destroyed). */
  readonly writable: boolean;
  writeHead(status: number, headers: string[]): void;
  /** false = back pressure: `onDrain` runs once the client took the bytes. */
  write(chunk: Buffer, onDrain: () => void): boolean;
  /** Ends the response; `trailers` go out on HTTP/2 only. */
  end(body?: Buffer | string, trailers?: Record<string, string> | null): void;
  destroy(err?: Error): void;
};

export class HttpDownstream implements TDownstream {
  readonly res: TDownstreamResponse;
  readonly h2: boolean;

  constructor(req: TDownstreamRequest, res: TDownstreamResponse) {
    this.res = res;
    this.h2 = req.httpVersionMajor === 2;
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  get status(): number {
    return this.res.headersSent ? this.res.statusCode : 0;
  }

  get writable(): boolean {
    const r = this.res as ServerResponse;
    return !r.headersSent && !r.destroyed && !r.writableEnded;
  }

  writeHead(status: number, headers: string[]): void {
    (this.res as ServerResponse).writeHead(status, headers);
  }

  write(chunk: Buffer, onDrain: () => void): boolean {
    if ((this.res as ServerResponse).write(chunk)) return true;
    this.res.once("drain", onDrain);
    return false;
  }

  end(body?: Buffer | string, trailers?: Record<string, string> | null): void {
    if (trailers && this.h2) (this.res as Http2ServerResponse).addTrailers(trailers);
    if (body === undefined) this.res.end();
    else (this.res as ServerResponse).end(body);
  }

  destroy(err?: Error): void {
    (this.res as ServerResponse).destroy(err);
  }

  /** The client reset or left before the response was complete (see ActiveRequest.onDownstreamClose). */
  abandoned(req: TDownstreamRequest): boolean {
    return !this.res.writableFinished || (this.h2 && (req as Http2ServerRequest).aborted);
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
    let text = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Unknown"}\r\n`;
    for (let i = 0; i < headers.length; i += 2) text += `${headers[i] as string}: ${headers[i + 1] as string}\r\n`;
    this.socket.write(`${text}\r\n`);
  }

  write(chunk: Buffer, onDrain: () => void): boolean {
    if (this.socket.write(chunk)) return true;
    this.socket.once("drain", onDrain);
    return false;
  }

  end(body?: Buffer | string): void {
    if (body === undefined || body.length === 0) this.socket.end();
    else this.socket.end(body);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
