import type { IncomingHttpHeaders } from "node:http";
import type { IncomingHttpHeaders as Http2Headers, ServerHttp2Stream } from "node:http2";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { CLIENT_ADDRESS } from "../client-address.ts";

/**
 * One HTTP/2 request, read from node:http2's stream API (no compat request/response pair):
 * the fields the pipeline reads (TDownstreamRequest, as H1Request has them) taken from the
 * HEADERS frame, and the body as a Readable fed by the stream with back pressure. A stream
 * whose HEADERS ended it (a GET) has no body and wires nothing.
 */
export class H2Request extends Readable {
  readonly stream: ServerHttp2Stream;
  readonly method: string;
  /** :path; the request entry rewrites it to the normalised origin form. */
  url: string;
  /** node:http2's header object: lower-case names, pseudo-headers included (":authority"). */
  readonly headers: IncomingHttpHeaders;
  /** Flat [name, value, ...] as received, pseudo-headers included. */
  readonly rawHeaders: string[];
  rawTrailers: string[] = [];
  readonly httpVersion = "2.0";
  readonly httpVersionMajor = 2;
  /** The session's socket (TLSSocket for h2, the plain socket for h2c). */
  readonly socket: Socket;
  /** The HEADERS frame ended the stream: no body follows. */
  readonly endAfterHeaders: boolean;
  /** The whole body was received. */
  complete = false;
  [CLIENT_ADDRESS]: string | undefined = undefined;
  #wired = false;

  constructor(stream: ServerHttp2Stream, headers: Http2Headers, rawHeaders: string[]) {
    super();
    this.stream = stream;
    this.headers = headers as IncomingHttpHeaders;
    this.rawHeaders = rawHeaders;
    this.method = (headers[":method"] as string | undefined) ?? "GET";
    this.url = (headers[":path"] as string | undefined) ?? "";
    this.socket = stream.session?.socket as Socket;
    this.endAfterHeaders = stream.endAfterHeaders;
  }

  override _read(): void {
    if (this.endAfterHeaders) {
      this.complete = true;
      this.push(null);
      return;
    }
    if (this.#wired) {
      this.stream.resume();
      return;
    }
    this.#wired = true;
    const stream = this.stream;
    stream.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) stream.pause();
    });
    stream.once("trailers", (_t: unknown, _flags: number, raw: string[]) => {
      this.rawTrailers = raw;
    });
    stream.once("end", () => {
      this.complete = true;
      this.push(null);
    });
    // A reset (or a closed session) before the body ended: readers see a premature close.
    stream.once("close", () => {
      if (!this.complete) this.destroy();
    });
    if (stream.destroyed && !this.complete) this.destroy();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // As node's IncomingMessage: an abort is an 'error' only for whoever listens for one.
    cb(err && this.listenerCount("error") > 0 ? err : null);
  }
}
