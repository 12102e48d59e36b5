import type { TPeerIdentity } from "../listener/peer-identity.ts";

/**
 * The HTTP filter API: what a filter (built-in or a user's) implements. The lifecycle it
 * plugs into is written down in `pipeline/connection-manager.ts` and docs/filters.md.
 *
 * A filter is built once per applied config version (`create(config)`, the config already
 * validated) and shared by every request of that version: per-request state lives in the
 * request (`req.metadata`), never in the filter. Every phase is optional and may return a
 * promise (an auth call); the request waits for it. Phases and what they may return:
 *
 *   onRequestHeaders(req)                  void = continue | TFilterLocalReply = answer here
 *   onRequestBody(chunk, end, req)         void | Buffer (replaces the chunk) | BUFFER_BODY
 *                                          (hold this chunk; at the end the filter gets all it
 *                                          held, up to the chain's buffer limit) | local reply
 *   onResponseHeaders(res, req)            void | local reply (the upstream's answer is dropped)
 *   onResponseBody(chunk, end, res, req)   void | Buffer (replaces the chunk)
 *   onResponseTrailers(trailers, res, req) void (trailers is a header map, editable)
 *   onDone(info, req)                      void (after the response; never delays it)
 *   onLocalReply(reply, req)               void | TLocalReplyRewrite: synchronous, called for
 *                                          every error reply (400+) the proxy writes itself on
 *                                          this request (404 NR, 503 UH, a filter's 401...) before it is
 *                                          written; may change its status, body and headers
 *
 * Order: request phases run in chain order, response phases in reverse chain order
 * (Envoy's decoder / encoder filters), and only for filters whose onRequestHeaders
 * continued. A phase that throws or rejects fails the request with 500 and flag FE.
 */

/** Header names are lower case. `get` joins repeated fields with ", ". */
export type THeaderMap = {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  add(name: string, value: string): void;
  remove(name: string): void;
  has(name: string): boolean;
  entries(): IterableIterator<[string, string]>;
};

export type TFilterRequest = {
  readonly method: string;
  /** Path without the query. */
  readonly path: string;
  readonly query: string;
  readonly authority: string;
  readonly scheme: "http" | "https";
  readonly remoteAddress: string;
  readonly requestId: string;
  /** The route chosen for the request (cached before the filters run), null = no route. */
  readonly route: { readonly name: string } | null;
  /** The verified client certificate (mTLS), else null. */
  readonly peer: TPeerIdentity | null;
  /** Request headers as the upstream will get them (editable in request phases). */
  readonly headers: THeaderMap;
  /** Shared by the request's filters and the access log (e.g. "jwtAuthn" -> { claims }). */
  readonly metadata: Map<string, unknown>;
  /** A body follows the head (onRequestBody will run); false: the request ends with its head. */
  readonly hasBody: boolean;
  /** Adds an Envoy-style response flag (e.g. DI) to the access log's responseFlags, for a request that continues. */
  addResponseFlag(flag: string): void;
};

export type TFilterResponse = {
  status: number;
  readonly headers: THeaderMap;
};

/** A local answer: the terminal (router) does not run. `headers`: name -> value. */
export type TFilterLocalReply = {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Response flag for the access log and x-switchyard-response-flags; default none. */
  readonly flag?: string;
  /** For gRPC clients: this grpc-status instead of the one mapped from `status`. */
  readonly grpcStatus?: number;
};

/** A local reply about to be written: `flags` as the access log shows them, `body` the proxy's text. */
export type TLocalReplyInfo = { readonly status: number; readonly flags: string; readonly body: string };

/** What onLocalReply may change; `headers` (name -> value) may set content-type. */
export type TLocalReplyRewrite = {
  readonly status?: number;
  readonly body?: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
};

export type TDoneInfo = { readonly status: number; readonly durationMs: number; readonly responseFlags: string };

/**
 * Returned by onRequestBody: keep the chunks and call again with all of them at the end.
 * A registered symbol, so a plugin gets it without importing the proxy:
 * `Symbol.for("switchyard.bufferBody")`.
 */
export const BUFFER_BODY: unique symbol = Symbol.for("switchyard.bufferBody");

type TMaybe<T> = T | Promise<T>;

export type THttpFilter = {
  readonly name: string;
  onRequestHeaders?(req: TFilterRequest): TMaybe<TFilterLocalReply | void | undefined>;
  onRequestBody?(chunk: Buffer, end: boolean, req: TFilterRequest): TMaybe<Buffer | TFilterLocalReply | typeof BUFFER_BODY | void | undefined>;
  onResponseHeaders?(res: TFilterResponse, req: TFilterRequest): TMaybe<TFilterLocalReply | void | undefined>;
  onResponseBody?(chunk: Buffer, end: boolean, res: TFilterResponse, req: TFilterRequest): TMaybe<Buffer | void | undefined>;
  onResponseTrailers?(trailers: THeaderMap, res: TFilterResponse, req: TFilterRequest): TMaybe<void | undefined>;
  onDone?(info: TDoneInfo, req: TFilterRequest): void;
  onLocalReply?(reply: TLocalReplyInfo, req: TFilterRequest): TLocalReplyRewrite | void | undefined;
};
