import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { TLSSocket } from "node:tls";
import type { TFilterLocalReply, TFilterResponse, THttpFilter } from "../filters/api.ts";
import { EMPTY_CHAIN, FilterError, type TFilterChain } from "../filters/chain.ts";
import { FlatHeaderMap, pushHeaderObject } from "../filters/header-map.ts";
import { clientAddressOf } from "../listener/client-address.ts";
import type { H2Request } from "../listener/h2/request.ts";
import type { TDownstreamRequest } from "../listener/http-listener.ts";
import type { TAccessLog } from "../observability/access-log.ts";
import type { TLog } from "../observability/log.ts";
import type { TMetrics } from "../observability/metrics.ts";
import type { StatsWindow } from "../observability/stats-window.ts";
import { RequestTrace, type TSpanSink } from "../observability/tracing/request-trace.ts";
import { routeRequest } from "../router/index.ts";
import type { TCompiledRoute } from "../router/types.ts";
import type { TCompiledListener } from "../runtime/types.ts";
import type { ClusterRuntime } from "../upstream/cluster.ts";
import { DownstreamClosedError, RequestBodyTooLargeError, type TResponseFlag } from "../upstream/errors.ts";
import type { TDownstream } from "./downstream.ts";
import { FilterRequest } from "./filter-request.ts";
import { finishRequest } from "./finish.ts";
import { filterRequestBody } from "./request-body-filters.ts";
import { localReplyParts, rewriteLocalReply, type TLocalReplyParts } from "./local-reply.ts";

export type TPipelineDeps = {
  readonly accessLog: TAccessLog;
  readonly metrics: TMetrics;
  readonly log: TLog;
  /** The window reported to the console (managed mode); null in standalone mode. */
  readonly stats: StatsWindow | null;
  /** Sampled spans go here (console reporter and/or OTLP exporter); null = spans are not recorded. */
  readonly spans: TSpanSink | null;
};

/** What runs after the decoder filters (forward | tunnel; redirect and direct answer at once). */
export type TTerminal = {
  /** Upstream work is still pending: a client leaving now abandons it. */
  readonly busy: boolean;
  /** Stop upstream work (client gone, a filter replaced the answer, body too large). */
  cancel(reason: Error): void;
};

/**
 * One downstream request in the connection manager: its identity, its route (looked up
 * once and cached), its filter chain state, the one local-reply writer, the encoder path
 * every response goes through, and the one finish (metrics, stats window, span, access
 * log, onDone). The lifecycle is written down in connection-manager.ts.
 */
export class ActiveRequest {
  readonly listener: TCompiledListener;
  readonly deps: TPipelineDeps;
  readonly req: TDownstreamRequest;
  readonly downstream: TDownstream;
  readonly start = performance.now();
  readonly method: string;
  readonly host: string;
  /** Path without the query; the query without '?'. */
  readonly path: string;
  readonly query: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly requestId: string;
  readonly h2: boolean;
  /** `content-type: application/grpc*`: local replies become gRPC errors (HTTP 200 + grpc-status). */
  readonly grpc: boolean;
  readonly tlsSocket: TLSSocket | null;
  /** The client address resolved at the request entry (peer, PROXY header, trustedHops). */
  readonly remoteAddress: string;
  readonly trace: RequestTrace;

  route: TCompiledRoute<ClusterRuntime> | null = null;
  chain: TFilterChain = EMPTY_CHAIN;
  /** Built when the chain has filters (the request as they see it), else null. */
  filterReq: FilterRequest | null = null;
  /** Filters whose onRequestHeaders continued: response phases run for these, last first. */
  ran = 0;
  terminal: TTerminal | null = null;

  #flags = "";
  /** Flags filters added to a request that continued (fault's DI), shown before the others. */
  #addedFlags = "";
  bytesIn = 0;
  bytesOut = 0;
  clusterName: string | null = null;
  upstreamHost: string | null = null;
  attempts = 0;
  /** The client is gone; late async steps stop. */
  closed = false;
  #finished = false;
  /** Encoder steps waiting on an async filter phase (strict order); null when idle. */
  #queue: Promise<void> | null = null;
  #resumeWhenIdle: (() => void) | null = null;
  /** The upstream's answer was replaced (local reply, filter failure): later steps are dropped. */
  #replaced = false;
  /** A filter failed: local replies skip the encoder filters from here on. */
  #filtersFailed = false;
  /** The filter whose phase runs now (named in FE errors). */
  #filterName = "";
  #response: TFilterResponse | null = null;

  constructor(listener: TCompiledListener, req: TDownstreamRequest, downstream: TDownstream, deps: TPipelineDeps) {
    this.listener = listener;
    this.req = req;
    this.downstream = downstream;
    this.deps = deps;
    this.method = req.method ?? "GET";
    this.headers = req.headers;
    this.h2 = req.httpVersionMajor === 2;
    // HTTP/2 carries the authority in :authority (RFC 9113 §8.3.1); Host is optional there.
    this.host = req.headers.host ?? (req.headers[":authority"] as string | undefined) ?? "";
    const ct = req.headers["content-type"];
    this.grpc = typeof ct === "string" && ct.startsWith("application/grpc");
    const sock = req.socket;
    this.tlsSocket = sock && (sock as TLSSocket).encrypted ? (sock as TLSSocket) : null;
    const url = req.url ?? "/";
    this.url = url;
    const q = url.indexOf("?");
    this.path = q === -1 ? url : url.slice(0, q);
    this.query = q === -1 ? "" : url.slice(q + 1);
    const incomingId = req.headers["x-request-id"];
    this.requestId = typeof incomingId === "string" && incomingId.length > 0 ? incomingId : randomUUID();
    this.remoteAddress = clientAddressOf(req);
    this.trace = new RequestTrace(req.headers, listener.tracing, deps.spans !== null, this.remoteAddress);
  }

  /**
   * A body follows the head when the request says so (RFC 9112 §6.3); HTTP/2: unless the
   * HEADERS frame ended the stream (gRPC bodies have no length). No body = no body phases.
   */
  get hasBody(): boolean {
    if (this.h2) return !(this.req as H2Request).endAfterHeaders;
    const length = this.headers["content-length"];
    return length !== undefined ? Number(length) > 0 : this.headers["transfer-encoding"] !== undefined;
  }

  /**
   * Route (cached here for the whole request), then the decoder filters; `terminal` runs
   * when every filter continued. A request without a route still passes the chain
   * (CORS, auth answer first), then gets 404 NR.
   */
  decode(terminal: (route: TCompiledRoute<ClusterRuntime> | null) => void): void {
    // `this` satisfies TRouteRequest (method, host, path, query, headers): no extra object.
    const route = routeRequest(this.listener.routeTable, this).route;
    this.route = route;
    const chains = this.listener.chains;
    const chain = route ? (chains.byRoute.get(route) ?? chains.noRoute) : chains.noRoute;
    this.chain = chain;
    if (chain.filters.length === 0) return terminal(route);
    this.filterReq = new FilterRequest(this, this.req.rawHeaders);
    let r: boolean | Promise<boolean>;
    try {
      r = this.#decodeHeaders();
    } catch (err) {
      return this.filterFailed(err);
    }
    if (r === false) return terminal(route);
    if (r === true) return;
    r.then(
      (stopped) => {
        if (!stopped && !this.closed) terminal(route);
      },
      (err: unknown) => this.filterFailed(err),
    ).catch((err: unknown) => this.fail(err));
  }

  /**
   * onRequestHeaders from filter `i` on; true = a filter answered (or the client left) and
   * the chain stopped. A plain loop while the phases are synchronous: no closure, no promise.
   */
  #decodeHeaders(i = 0): boolean | Promise<boolean> {
    const filters = this.chain.filters;
    const req = this.filterReq as FilterRequest;
    for (; i < filters.length; i++) {
      const f = filters[i] as THttpFilter;
      if (f.onRequestHeaders) {
        this.#filterName = f.name;
        const r = f.onRequestHeaders(req);
        if (r instanceof Promise) {
          const at = i;
          return r.then((v) => (this.#continued(at, v) ? true : this.#decodeHeaders(at + 1)));
        }
        if (this.#continued(i, r)) return true;
      }
      this.ran = i + 1;
    }
    return false;
  }

  #continued(i: number, reply: TFilterLocalReply | void | undefined): boolean {
    if (this.closed) return true;
    if (reply) {
      this.filterReply(reply);
      return true;
    }
    this.ran = i + 1;
    return false;
  }

  /** The request body through the filters' onRequestBody (request-body-filters.ts). */
  decodeBody(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    return filterRequestBody(this, source);
  }

  /** The response was replaced (a filter answered or failed): later steps are dropped. */
  get replaced(): boolean {
    return this.#replaced;
  }

  // ---- encoder path: every response (upstream, direct, redirect, local) goes here ----

  /** Whether any filter that saw the request has a response phase. */
  get #encodes(): boolean {
    const c = this.chain;
    return this.ran > 0 && (c.responseHeaders || c.responseBody || c.responseTrailers) && !this.#filtersFailed;
  }

  /** A streamed response's head (forward, tunnel): encoder filters, then the client. */
  sendHeaders(status: number, headers: string[]): void {
    if (!this.#encodes) return this.downstream.writeHead(status, headers);
    if (this.#queue !== null) return this.#encode(() => this.#encodeHeaders(status, headers));
    let r: void | Promise<void>;
    try {
      r = this.#encodeHeaders(status, headers);
    } catch (err) {
      return this.filterFailed(err);
    }
    if (r instanceof Promise) this.#track(r);
  }

  /** false = back pressure (or an async filter phase): `resume` runs when more may come. */
  sendData(chunk: Buffer, resume: () => void): boolean {
    if (!this.#encodes || (!this.chain.responseBody && this.#queue === null)) {
      if (this.#replaced) return true;
      this.bytesOut += chunk.length;
      return this.downstream.write(chunk, resume);
    }
    this.#encode(() => this.#encodeData(chunk, false));
    if (this.#queue === null) return true;
    this.#resumeWhenIdle = resume;
    return false;
  }

  /** End of a streamed response; `trailers` flat [name, value, ...] (HTTP/2, chunked HTTP/1.1). */
  sendEnd(trailers: string[] | null): void {
    if (!this.#encodes) return this.downstream.end(undefined, trailers ? trailerObject(trailers) : null);
    this.#encode(() => this.#encodeEnd(trailers));
  }

  /** A whole answer at once (direct response, redirect, local reply). */
  respond(status: number, headers: string[], body: Buffer | string, trailers: Record<string, string> | null = null): void {
    if (!this.#encodes) {
      this.bytesOut += Buffer.byteLength(body);
      this.downstream.writeHead(status, headers);
      this.downstream.end(body, trailers);
      return;
    }
    if (this.#queue !== null) return this.#encode(() => this.#respondEncoded(status, headers, body, trailers));
    let r: void | Promise<void>;
    try {
      r = this.#respondEncoded(status, headers, body, trailers);
    } catch (err) {
      return this.filterFailed(err);
    }
    if (r instanceof Promise) this.#track(r);
  }

  #respondEncoded(status: number, headers: string[], body: Buffer | string, trailers: Record<string, string> | null): void | Promise<void> {
    const r = this.#encodeHeaders(status, headers, false);
    if (r instanceof Promise) return r.then(() => this.#respondBody(body, trailers));
    return this.#respondBody(body, trailers);
  }

  /** A whole answer's body; its trailers (a gRPC error's, on HTTP/2) pass onResponseTrailers like an upstream's. */
  #respondBody(body: Buffer | string, trailers: Record<string, string> | null): void | Promise<void> {
    if (trailers === null || !this.chain.responseTrailers) return this.#encodeData(body, true, trailers);
    const flat: string[] = [];
    for (const name in trailers) flat.push(name, trailers[name] as string);
    const r = this.#encodeData(body, false);
    if (r instanceof Promise) return r.then(() => this.#encodeEnd(flat));
    return this.#encodeEnd(flat);
  }

  /** Runs `cb` once every response step queued so far is written (at once when none waits). */
  whenEncoded(cb: () => void): void {
    if (this.#queue === null) return cb();
    void this.#queue.then(cb);
  }

  #encode(step: () => void | Promise<void>): void {
    if (this.#queue === null) {
      let r: void | Promise<void>;
      try {
        r = step();
      } catch (err) {
        return this.filterFailed(err);
      }
      if (r instanceof Promise) this.#track(r);
      return;
    }
    this.#track(this.#queue.then(step));
  }

  #track(p: Promise<void>): void {
    const q: Promise<void> = p.then(
      () => {
        if (this.#queue !== q) return;
        this.#queue = null;
        const resume = this.#resumeWhenIdle;
        this.#resumeWhenIdle = null;
        resume?.();
      },
      (err: unknown) => {
        if (this.#queue === q) this.#queue = null;
        this.filterFailed(err);
      },
    );
    this.#queue = q;
  }

  /** `allowReply`: a response-headers phase may replace an upstream answer (not a local reply). */
  #encodeHeaders(status: number, headers: string[], allowReply = true): void | Promise<void> {
    if (this.#replaced) return;
    const res: TFilterResponse = { status, headers: new FlatHeaderMap(headers) };
    this.#response = res;
    if (!this.chain.responseHeaders) return this.#writeHead(res);
    return this.#responseHeadersFrom(this.ran - 1, res, allowReply);
  }

  /** onResponseHeaders from filter `i` down to the first (reverse chain order). */
  #responseHeadersFrom(i: number, res: TFilterResponse, allowReply: boolean): void | Promise<void> {
    const filters = this.chain.filters;
    const req = this.filterReq as FilterRequest;
    for (; i >= 0; i--) {
      const f = filters[i] as THttpFilter;
      if (!f.onResponseHeaders) continue;
      this.#filterName = f.name;
      const v = f.onResponseHeaders(res, req);
      if (v instanceof Promise) {
        const at = i;
        return v.then((reply) => (this.#answeredInstead(reply, allowReply) ? undefined : this.#responseHeadersFrom(at - 1, res, allowReply)));
      }
      if (this.#answeredInstead(v, allowReply)) return;
    }
    this.#writeHead(res);
  }

  /** A response-headers phase answered: the upstream's answer is dropped for the filter's own. */
  #answeredInstead(reply: TFilterLocalReply | void | undefined, allowReply: boolean): boolean {
    if (!reply || !allowReply) return false;
    this.#replaced = true;
    this.terminal?.cancel(new DownstreamClosedError());
    this.#writeLocal(...this.#localParts(reply.status, reply.flag ?? "", reply.body ?? "", localHeaders(reply), !reply.flag, reply.grpcStatus));
    return true;
  }

  #writeHead(res: TFilterResponse): void {
    if (this.#replaced || this.closed) return;
    // A body filter may change the length: the body goes chunked (HTTP/1.1) instead. Removed
    // only now, so response-header phases still read the upstream's length (compression's minimum).
    if (this.chain.responseBody) res.headers.remove("content-length");
    this.downstream.writeHead(res.status, (res.headers as FlatHeaderMap).list);
  }

  #encodeData(chunk: Buffer | string, end: boolean, trailers: Record<string, string> | null = null): void | Promise<void> {
    if (this.#replaced) return;
    if (!this.chain.responseBody) return this.#writeData(chunk, end, trailers);
    return this.#responseBodyFrom(this.ran - 1, typeof chunk === "string" ? Buffer.from(chunk) : chunk, end, trailers);
  }

  /** onResponseBody from filter `i` down to the first; each may replace the chunk. */
  #responseBodyFrom(i: number, chunk: Buffer, end: boolean, trailers: Record<string, string> | null): void | Promise<void> {
    const filters = this.chain.filters;
    const req = this.filterReq as FilterRequest;
    const res = this.#response as TFilterResponse;
    for (; i >= 0; i--) {
      const f = filters[i] as THttpFilter;
      if (!f.onResponseBody) continue;
      this.#filterName = f.name;
      const v = f.onResponseBody(chunk, end, res, req);
      if (v instanceof Promise) {
        const at = i;
        const input = chunk;
        return v.then((b) => this.#responseBodyFrom(at - 1, Buffer.isBuffer(b) ? b : input, end, trailers));
      }
      if (Buffer.isBuffer(v)) chunk = v;
    }
    return this.#writeData(chunk, end, trailers);
  }

  /** To the client; a promise while the client applies back pressure (the encoder queue waits for it). */
  #writeData(chunk: Buffer | string, end: boolean, trailers: Record<string, string> | null): void | Promise<void> {
    if (this.#replaced || this.closed) return;
    this.bytesOut += Buffer.byteLength(chunk);
    if (end) return this.downstream.end(chunk, trailers);
    if (chunk.length === 0) return;
    let drained: (() => void) | null = null;
    if (this.downstream.write(chunk as Buffer, () => drained?.())) return;
    return new Promise<void>((resolve) => (drained = resolve));
  }

  #encodeEnd(trailers: string[] | null): void | Promise<void> {
    if (this.#replaced) return;
    if (!trailers || !this.chain.responseTrailers) return this.#encodeData(EMPTY, true, trailers ? trailerObject(trailers) : null);
    const map = new FlatHeaderMap(trailers);
    const r = this.#responseTrailersFrom(this.ran - 1, map);
    if (r instanceof Promise) return r.then(() => this.#encodeData(EMPTY, true, trailerObject(map.list)));
    return this.#encodeData(EMPTY, true, trailerObject(map.list));
  }

  /** onResponseTrailers from filter `i` down to the first. */
  #responseTrailersFrom(i: number, map: FlatHeaderMap): void | Promise<void> {
    const filters = this.chain.filters;
    const req = this.filterReq as FilterRequest;
    const res = this.#response as TFilterResponse;
    for (; i >= 0; i--) {
      const f = filters[i] as THttpFilter;
      if (!f.onResponseTrailers) continue;
      this.#filterName = f.name;
      const v = f.onResponseTrailers(map, res, req);
      if (v instanceof Promise) {
        const at = i;
        return v.then(() => this.#responseTrailersFrom(at - 1, map));
      }
    }
  }

  // ---- local replies: one writer --------------------------------------------------

  /** A filter answered (401, 403, 429, CORS preflight): a gRPC error for gRPC clients. */
  filterReply(r: TFilterLocalReply): void {
    const flag = r.flag ?? "";
    this.localReply(r.status, flag, r.body ?? "", localHeaders(r), flag === "", r.grpcStatus);
  }

  /** `flag` may combine codes ("UF,URX"); `noFlag` for answers that are not failures (CORS preflight). */
  localReply(status: number, flag: TResponseFlag | string, body: string | Buffer, extra: readonly string[] = [], noFlag = false, grpcStatus?: number): void {
    this.flags = noFlag ? "" : flag;
    if (!this.downstream.writable) return;
    if (this.#queue !== null) {
      // An upstream head is still in an async response filter: this answer replaces it.
      this.#replaced = true;
      const parts = this.#localParts(status, flag, body, extra, noFlag, grpcStatus);
      void this.#queue.then(() => this.#writeLocal(...parts));
      return;
    }
    const [s, headers, b, trailers] = this.#localParts(status, flag, body, extra, noFlag, grpcStatus);
    this.respond(s, headers, b, trailers);
  }

  #localParts(status: number, flag: string, body: string | Buffer, extra: readonly string[], noFlag: boolean, grpcStatus?: number): TLocalReplyParts {
    // Only errors are rewritten: never an answer such as a CORS preflight's 204 (no body allowed).
    if (this.chain.localReply && status >= 400 && !this.grpc && this.filterReq !== null) {
      [status, body, extra] = rewriteLocalReply(this.chain.filters, this.filterReq, status, this.flags, body, extra);
    }
    return localReplyParts(this, status, flag, body, extra, noFlag, grpcStatus);
  }

  /** Straight to the client, past the encoder filters (they failed, or one of them answered). */
  #writeLocal(status: number, headers: string[], body: string | Buffer, trailers: Record<string, string> | null): void {
    if (!this.downstream.writable) return;
    this.bytesOut = Buffer.byteLength(body);
    this.downstream.writeHead(status, headers);
    this.downstream.end(body, trailers);
  }

  /** The response flags of the access log ("" = none), e.g. "UF,URX" or "DI,FI". */
  get flags(): string {
    if (this.#addedFlags === "") return this.#flags;
    return this.#flags === "" ? this.#addedFlags : `${this.#addedFlags},${this.#flags}`;
  }
  set flags(flags: string) {
    this.#flags = flags;
  }

  /** A filter's flag for a request that goes on (req.addResponseFlag). */
  addFlag(flag: string): void {
    this.#addedFlags = this.#addedFlags === "" ? flag : `${this.#addedFlags},${flag}`;
  }

  /** Whether this request is an HTTP/1.1 Upgrade (set by the connection manager). */
  isUpgrade = false;

  /** A filter's phase threw or rejected: 500 FE (or a reset once the head is out), counted per filter. */
  filterFailed(err: unknown): void {
    const name = err instanceof FilterError ? err.filter : this.#filterName || "?";
    if (this.#filtersFailed && err instanceof FilterError) return;
    this.#filtersFailed = true;
    this.deps.metrics.filterError(name);
    this.deps.log("filter_failed", { requestId: this.requestId, path: this.path, filter: name, error: err });
    if (this.closed) return;
    this.terminal?.cancel(new FilterError(name, err));
    if (this.downstream.writable) {
      this.#replaced = true;
      this.flags = "FE";
      this.#writeLocal(...this.#localParts(500, "FE", `filter ${name} failed\n`, [], false));
    } else {
      this.flags = "FE";
      this.downstream.destroy(new FilterError(name, err));
    }
  }

  /** A bug in an async continuation must cost one request, never the process. */
  fail(err: unknown): void {
    this.deps.log("request_failed", { requestId: this.requestId, path: this.path, error: err });
    if (this.downstream.writable) this.localReply(500, "UC", "internal proxy error\n");
    else this.downstream.destroy();
  }

  /**
   * 413 for a body over limits.maxRequestBodyBytes (or a filter's buffer limit). Any
   * upstream try is cancelled first. HTTP/1.1 gets `connection: close`: the rest of the
   * body is never read, so the connection cannot carry another request.
   */
  bodyTooLarge(limit: number): void {
    if (this.terminal?.busy) this.terminal.cancel(new RequestBodyTooLargeError(limit));
    if (this.downstream.headersSent) return this.downstream.destroy();
    this.localReply(413, "", `request body larger than ${limit} bytes\n`, this.h2 ? [] : ["connection", "close"], true);
  }

  // ---- finish: one per request ----------------------------------------------------

  /** The client connection (or stream) closed: abandon pending work, then finish. */
  onDownstreamClose(abandoned: boolean): void {
    this.closed = true;
    const t = this.terminal;
    // An HTTP/2 compat response reports writableFinished = true even when the client reset
    // the stream, so pending upstream work also means the client went away (rapid reset).
    if (abandoned || (t !== null && t.busy)) {
      if (!this.#flags) this.#flags = "DC";
      if (t !== null && t.busy) t.cancel(new DownstreamClosedError());
    }
    this.finish();
  }

  /** Metrics, stats window, span, onDone filters and the access log: exactly once. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    finishRequest(this);
  }
}

/** The end of a body: an empty chunk with end = true. */
const EMPTY = Buffer.alloc(0);

function localHeaders(r: TFilterLocalReply): string[] {
  const out: string[] = [];
  pushHeaderObject(out, r.headers);
  return out;
}

function trailerObject(flat: readonly string[]): Record<string, string> {
  const t: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) t[flat[i] as string] = flat[i + 1] as string;
  return t;
}
