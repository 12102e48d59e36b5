import type { IncomingHttpHeaders } from "node:http";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { CLIENT_ADDRESS } from "../client-address.ts";

/**
 * One HTTP/1.1 request read by the engine (connection.ts): the head as parsed, and the
 * body as a Readable fed by the connection with back pressure (a full buffer pauses the
 * socket; reading resumes it). It has the fields the pipeline reads from node:http2's
 * Http2ServerRequest too (TDownstreamRequest), so both protocols enter one pipeline.
 */

/** What the request needs from its connection. */
export type TBodyPump = {
  /** The consumer wants body bytes: resume the socket (and send 100 Continue once). */
  pull(): void;
};

export class H1Request extends Readable {
  readonly method: string;
  /** The request target; the request entry rewrites it to the normalised origin form. */
  url: string;
  /** Flat [name as sent, value, ...] (node's rawHeaders). */
  readonly rawHeaders: string[];
  readonly httpVersionMajor = 1;
  readonly httpVersionMinor: 0 | 1;
  readonly socket: Socket;
  /** The whole body was received. */
  complete = false;
  /** Trailer fields of a chunked body (flat), once complete. */
  rawTrailers: string[] = [];
  /** Set by the request entry (client-address.ts); declared so every request has one shape. */
  [CLIENT_ADDRESS]: string | undefined = undefined;
  readonly #pump: TBodyPump;
  /** No body follows the head: the stream ends on the first read. */
  readonly #bodyless: boolean;
  #headers: IncomingHttpHeaders | null = null;

  constructor(pump: TBodyPump, socket: Socket, method: string, target: string, minor: 0 | 1, rawHeaders: string[], bodyless: boolean) {
    super();
    this.#pump = pump;
    this.socket = socket;
    this.method = method;
    this.url = target;
    this.httpVersionMinor = minor;
    this.rawHeaders = rawHeaders;
    this.#bodyless = bodyless;
  }

  get httpVersion(): string {
    return this.httpVersionMinor === 1 ? "1.1" : "1.0";
  }

  /** Built on first use from rawHeaders, with node's rules for repeated fields (so filters and routes see what they saw before). */
  get headers(): IncomingHttpHeaders {
    return (this.#headers ??= headerObject(this.rawHeaders));
  }

  /** Trailers as an object (lower-case names), like node's req.trailers. */
  get trailers(): Record<string, string> {
    const t: Record<string, string> = {};
    for (let i = 0; i < this.rawTrailers.length; i += 2) t[(this.rawTrailers[i] as string).toLowerCase()] = this.rawTrailers[i + 1] as string;
    return t;
  }

  override _read(): void {
    if (this.#bodyless) {
      this.complete = true;
      this.push(null);
      return;
    }
    this.#pump.pull();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // As node's IncomingMessage: an abort is an 'error' only for whoever listens for one
    // (iterators and pipes see a premature close either way).
    cb(err && this.listenerCount("error") > 0 ? err : null);
  }
}

/** Fields node keeps only the first of when repeated (IncomingMessage#_addHeaderLine). */
const FIRST_ONLY = new Set([
  "content-type",
  "content-length",
  "user-agent",
  "referer",
  "host",
  "authorization",
  "proxy-authorization",
  "if-modified-since",
  "if-unmodified-since",
  "from",
  "location",
  "max-forwards",
  "retry-after",
  "etag",
  "last-modified",
  "server",
  "age",
  "expires",
]);

/** rawHeaders as node's `headers` object: lower-case names, repeats joined (", ", cookie "; "), set-cookie an array. */
export function headerObject(raw: readonly string[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    const seen = out[name];
    if (seen === undefined) out[name] = name === "set-cookie" ? [value] : value;
    else if (name === "set-cookie") (seen as string[]).push(value);
    else if (FIRST_ONLY.has(name)) continue;
    else out[name] = `${seen as string}${name === "cookie" ? "; " : ", "}${value}`;
  }
  return out as IncomingHttpHeaders;
}
