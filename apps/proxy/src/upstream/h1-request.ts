import { requestHead } from "../http1/serialize.ts";
import type { TDispatchOptions, TUpstreamHandler } from "./dispatch.ts";

/** Methods whose request a stale keep-alive connection may have eaten: safe to send again (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
/** Methods whose empty body still gets `content-length: 0` (undici and browsers do the same). */
const EXPECTS_PAYLOAD = new Set(["POST", "PUT", "PATCH", "QUERY", "PROPFIND", "PROPPATCH"]);

/** Where a request currently is, for its abort and resume functions. */
export type TRequestHost = {
  abortRequest(req: H1UpstreamRequest): void;
  resumeRequest(req: H1UpstreamRequest): void;
};

/**
 * One dispatched HTTP/1.1 request: its head serialized once (a stale-connection retry
 * sends the same string again), its body framing, and the abort/resume functions handed
 * to the handler, which follow the request from connection to connection.
 */
export class H1UpstreamRequest {
  readonly method: string;
  readonly handler: TUpstreamHandler;
  /** "METHOD target HTTP/1.1\r\n...\r\n\r\n" with Host and the framing fields, latin1. */
  readonly head: string;
  readonly body: Buffer | AsyncIterable<Buffer> | null;
  /** A streamed body without a Content-Length goes chunked. */
  readonly chunked: boolean;
  /** The Content-Length a streamed body must match (-1: chunked, or not streamed). */
  readonly declaredLength: number;
  /** May go out again on a fresh connection when a reused one dies before any response byte. */
  readonly replayable: boolean;
  /** The connection carrying it (null while queued or dialing). */
  host: TRequestHost | null = null;
  /** onConnect was called (once, even across a stale retry). */
  connected = false;
  /** Completed, failed or aborted: no more handler calls. */
  done = false;
  /** The stale-connection retry was used. */
  retried = false;
  readonly abort = (err?: Error): void => this.fail(err ?? Object.assign(new Error("request aborted"), { code: "UND_ERR_ABORTED" }), true);
  readonly resume = (): void => this.host?.resumeRequest(this);

  constructor(opts: TDispatchOptions, handler: TUpstreamHandler, defaultHost: string) {
    this.method = opts.method;
    this.handler = handler;
    const body = opts.body;
    const headers = opts.headers;
    let lengthAt = -1;
    let hasHost = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as string;
      if (name === "content-length") lengthAt = i;
      else if (name === "host") hasHost = true;
    }
    // Our framing replaces the caller's Content-Length (a buffer's own length is the truth).
    let flat = lengthAt === -1 ? headers : headers.slice(0, lengthAt).concat(headers.slice(lengthAt + 2));
    let chunked = false;
    let declared = -1;
    // The framing field this body needs (null: none).
    let framing: [string, string] | null = null;
    if (body === null) {
      if (EXPECTS_PAYLOAD.has(opts.method)) framing = ["content-length", "0"];
      this.body = null;
    } else if (Buffer.isBuffer(body)) {
      if (body.length > 0 || EXPECTS_PAYLOAD.has(opts.method)) framing = ["content-length", String(body.length)];
      this.body = body;
    } else {
      if (lengthAt !== -1) {
        declared = Number(headers[lengthAt + 1]);
        framing = ["content-length", String(declared)];
      } else {
        chunked = true;
        framing = ["transfer-encoding", "chunked"];
      }
      this.body = body as AsyncIterable<Buffer>;
    }
    if (!hasHost) flat = flat.concat("host", defaultHost);
    if (framing !== null) flat = flat === headers ? headers.concat(framing) : (flat.push(...framing), flat);
    this.chunked = chunked;
    this.declaredLength = declared;
    this.replayable = IDEMPOTENT.has(opts.method) && (body === null || Buffer.isBuffer(body));
    // Throws InvalidFieldError on CR/LF/NUL: the dispatch fails before any byte goes out.
    this.head = requestHead(opts.method, opts.path, flat);
  }

  /** Hands the handler its abort function (once). */
  connect(): void {
    if (this.connected) return;
    this.connected = true;
    this.handler.onConnect(this.abort);
  }

  /** Ends the request with an error; `aborted`: the handler's own abort (the connection's state is unknown). */
  fail(err: Error, aborted = false): void {
    if (this.done) return;
    this.done = true;
    const host = this.host;
    this.host = null;
    if (aborted) host?.abortRequest(this);
    this.handler.onError(err);
  }
}
