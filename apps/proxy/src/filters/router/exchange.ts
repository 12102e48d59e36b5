import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import { routeRequest, pickTarget, rewritePath, redirectLocation } from "../../router/index.ts";
import type { TCompiledForwardAction, TCompiledRetryPolicy, TCompiledRoute } from "../../router/types.ts";
import type { TCompiledListener } from "../../runtime/types.ts";
import type { ClusterRuntime, UpstreamEndpoint } from "../../upstream/cluster.ts";
import {
  DownstreamClosedError,
  PerTryTimeoutError,
  RequestBodyTooLargeError,
  RetryAbortError,
  UpstreamTimeoutError,
  mapUpstreamError,
  type TResponseFlag,
} from "../../upstream/errors.ts";
import type { TAccessLog } from "../../observability/access-log.ts";
import type { TMetrics } from "../../observability/metrics.ts";
import type { TLog } from "../../observability/log.ts";
import type { StatsWindow } from "../../observability/stats-window.ts";
import { TRACE_HEADERS } from "../../observability/tracing/context.ts";
import { RequestTrace, type TSpanSink, type TTry as TTraceTry } from "../../observability/tracing/request-trace.ts";
import { applyHeaderMutations } from "../header-mutation.ts";
import type { TRateLimitDecision, TRateLimiter } from "../rate-limit/decision.ts";
import { bucketKeyOf } from "../rate-limit/manager.ts";
import { requestHash } from "./hash.ts";
import { sendMirrors } from "./mirror.ts";
import { readReplayableBody, type TRequestBody } from "./request-body.ts";
import { backoffMs, retriableFailure, retriableStatus } from "./retry.ts";
import { UpstreamTry, type TTryOwner } from "./upstream-try.ts";
import { runFilters, type TFilterContext, type TLocalReply } from "../chain.ts";
import type { TDownstreamRequest, TDownstreamResponse } from "../../listener/http-listener.ts";
import { peerIdentity } from "../../listener/peer-identity.ts";
import { clientAddressOf } from "../../listener/client-address.ts";
import { requestIdentity, spanIdentity } from "../../observability/request-identity.ts";
import { grpcStatusForHttp, parseGrpcTimeout } from "./grpc.ts";
import { isProxyOwnedRequestHeader } from "./client-headers.ts";

/**
 * The HTTP connection manager + router filter for one downstream request.
 *
 * Lifecycle: listener httpFilters (cors, jwtAuthn, rbac; may answer locally) -> route
 * (virtual host, then first matching route) -> rate limits (virtual
 * host's, then route's; local ones answer synchronously, global ones after one Redis
 * round trip) -> action:
 *   directResponse / redirect -> local answer;
 *   route -> weighted cluster -> request body (buffered up to the retry/mirror limit when
 *   the route retries or mirrors, else streamed) -> mirrors (fire and forget) -> tries:
 *   each try = circuit breakers -> endpoint (LB over available endpoints, another one on a
 *   retry when possible) -> dispatch to the endpoint's undici Pool or H2Pool (UpstreamTry;
 *   grpc-timeout may shorten the route timeout) -> response (and h2 trailers) streamed out with
 *   back pressure, or retried (jittered back-off) while the policy, the body, the retry
 *   breaker and the route timeout allow;
 *   every failure -> ONE local reply through mapUpstreamError (status + response flag).
 * The route timeout covers every try and back-off. The downstream 'close' event ends
 * every exchange: access log line + metrics.
 */

export type TExchangeDeps = {
  readonly accessLog: TAccessLog;
  readonly metrics: TMetrics;
  readonly log: TLog;
  /** The window reported to the console (managed mode); null in standalone mode. */
  readonly stats: StatsWindow | null;
  /** Sampled spans go here (console reporter and/or OTLP exporter); null = spans are not recorded. */
  readonly spans: TSpanSink | null;
};

/** RFC 9110 §7.6.1 connection-specific fields, plus `expect` (we answer 100-continue ourselves). */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);
/** Request headers the proxy sets itself, so incoming copies are dropped first. */
const REQUEST_OWNED = new Set(["host", "content-length", "x-request-id", "x-forwarded-proto", "x-forwarded-for", "expect", "x-forwarded-client-cert"]);

export const RESPONSE_FLAGS_HEADER = "x-switchyard-response-flags";

/** Body buffer limit of routes that mirror without a retry policy (1 MiB, the retry default). */
const DEFAULT_MIRROR_BUFFER_BYTES = 1_048_576;

export function handleRequest(listener: TCompiledListener, req: TDownstreamRequest, res: TDownstreamResponse, deps: TExchangeDeps): void {
  const ex = new Exchange(listener, req, res, deps);
  try {
    ex.run();
  } catch (err) {
    // A bug or an unforeseen input must cost one request, never the process.
    deps.log("request_failed", { requestId: ex.requestId, path: ex.path, error: err });
    if (!res.headersSent) ex.localReply(500, "UC", "internal proxy error\n");
    else (res as ServerResponse).destroy();
  }
}

class Exchange implements TTryOwner {
  readonly listener: TCompiledListener;
  readonly req: TDownstreamRequest;
  readonly res: TDownstreamResponse;
  readonly deps: TExchangeDeps;
  readonly start = performance.now();
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly requestId: string;
  /** HTTP/2 downstream (h2c or h2 over TLS): trailers can be passed on. */
  readonly h2: boolean;
  /** `content-type: application/grpc*`: local replies become gRPC errors (HTTP 200 + grpc-status). */
  readonly grpc: boolean;
  /** TLS downstream socket (https listener), else null. */
  readonly tlsSocket: TLSSocket | null;
  /** Filter state (headers to add/remove, claims); null when the listener has no filters. */
  filterCtx: TFilterContext | null = null;
  /** gRPC trailers-only answers carry grpc-status in the head: kept to re-send as trailers. */
  grpcStatusInHead: string[] | null = null;

  route: TCompiledRoute<ClusterRuntime> | null = null;
  clusterName: string | null = null;
  cluster: ClusterRuntime | null = null;
  endpoint: UpstreamEndpoint | null = null;
  flags = "";
  bytesIn = 0;
  bytesOut = 0;
  /** True until the exchange needs no more upstream work (answered, given up, or DC). */
  upstreamDone = true;
  /** The downstream connection is gone; late async steps (Redis, body) stop there. */
  closed = false;
  timer: NodeJS.Timeout | null = null;
  timeoutMs = 0;
  // Forwarding state, set once per request by forward().
  upstreamPath = "/";
  upstreamHeaders: string[] = [];
  body: Readable | Buffer | null = null;
  replayable = true;
  hash: number | undefined = undefined;
  retryPolicy: TCompiledRetryPolicy | null = null;
  perTryTimeoutMs = 0;
  idleTimeoutMs = 0;
  attempts = 0;
  tried: UpstreamEndpoint[] | null = null;
  current: UpstreamTry | null = null;
  retryTimer: NodeJS.Timeout | null = null;
  /** Trace ids and the sampling decision, made once in the constructor for the whole request. */
  readonly trace: RequestTrace;
  /** The CLIENT span of the try in flight (one at a time), ended by endTraceTry. */
  traceTry: TTraceTry | null = null;
  /** Status of the current try's response head (0 before one arrived). */
  upstreamStatus = 0;
  /** The response head went to the client: from here a failure can only reset it. */
  committed = false;
  resumeUpstream: (() => void) | null = null;

  constructor(listener: TCompiledListener, req: TDownstreamRequest, res: TDownstreamResponse, deps: TExchangeDeps) {
    this.listener = listener;
    this.req = req;
    this.res = res;
    this.deps = deps;
    this.method = req.method ?? "GET";
    this.headers = req.headers;
    this.h2 = req.httpVersionMajor === 2;
    // HTTP/2 carries the authority in :authority (RFC 9113 §8.3.1); Host is optional there.
    this.host = req.headers.host ?? (req.headers[":authority"] as string | undefined) ?? "";
    const ct = req.headers["content-type"];
    this.grpc = typeof ct === "string" && ct.startsWith("application/grpc");
    const sock = this.h2 ? (req as Http2ServerRequest).stream.session?.socket : req.socket;
    this.tlsSocket = sock && (sock as TLSSocket).encrypted ? (sock as TLSSocket) : null;
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    this.path = q === -1 ? url : url.slice(0, q);
    this.query = q === -1 ? "" : url.slice(q + 1);
    const incomingId = req.headers["x-request-id"];
    this.requestId = typeof incomingId === "string" && incomingId.length > 0 ? incomingId : randomUUID();
    this.trace = new RequestTrace(req.headers, listener.tracing, deps.spans !== null, clientAddressOf(req));
    res.once("close", () => this.onDownstreamClose());
  }

  /** The client address resolved at the request entry (peer, PROXY header, trustedHops). */
  get remoteAddress(): string {
    return clientAddressOf(this.req);
  }

  run(): void {
    // limits.maxRequestBodyBytes: a declared length over the limit is refused before any
    // filter or upstream work (chunked and HTTP/2 bodies are counted as they stream).
    const maxBody = this.listener.limits.maxRequestBodyBytes;
    if (maxBody !== undefined) {
      const declared = this.headers["content-length"];
      if (declared !== undefined && Number(declared) > maxBody) return this.bodyTooLarge(maxBody);
    }
    const filters = this.listener.filters;
    if (filters.length === 0) return this.routeAndForward();
    const ctx: TFilterContext = {
      method: this.method,
      path: this.path,
      headers: this.headers,
      remoteAddress: this.remoteAddress,
      peer: this.tlsSocket ? peerIdentity(this.tlsSocket) : null,
      jwtClaims: null,
      addRequestHeaders: [],
      removeRequestHeaders: [],
      addResponseHeaders: [],
    };
    this.filterCtx = ctx;
    const r = runFilters(filters, ctx);
    if (r instanceof Promise) {
      r.then(
        (v) => (v ? this.filterReply(v) : this.routeAndForward()),
        (err: unknown) => {
          this.deps.log("request_failed", { requestId: this.requestId, path: this.path, error: err });
          this.localReply(500, "UC", "internal proxy error\n");
        },
      );
    } else if (r) this.filterReply(r);
    else this.routeAndForward();
  }

  /** A filter answered (401, 403, CORS preflight): plain text, or a gRPC error for gRPC clients. */
  filterReply(r: TLocalReply): void {
    if (this.res.headersSent || this.res.writableEnded) return;
    if (this.grpc || r.flag) return this.localReply(r.status, r.flag || "UC", r.body, r.headers, r.flag === "");
    this.flags = "";
    const headers = [...r.headers, "content-length", String(Buffer.byteLength(r.body)), "x-request-id", this.requestId];
    if (r.body) headers.push("content-type", "text/plain");
    this.bytesOut = Buffer.byteLength(r.body);
    (this.res as ServerResponse).writeHead(r.status, headers);
    this.res.end(r.body);
  }

  routeAndForward(): void {
    // `this` satisfies TRouteRequest (method, host, path, query, headers): no extra object.
    const { route } = routeRequest(this.listener.routeTable, this);
    if (!route) return this.localReply(404, "NR", "route not found\n");
    this.route = route;
    if (route.rateLimits.length) this.applyRateLimits(route, 0);
    else this.act(route);
  }

  /** Rate-limit policies in order; the first that refuses answers 429 RL. */
  applyRateLimits(route: TCompiledRoute<ClusterRuntime>, from: number): void {
    const names = route.rateLimits;
    for (let i = from; i < names.length; i++) {
      const limiter = this.listener.rateLimiters.get(names[i] as string);
      if (!limiter) continue;
      const key = bucketKeyOf(limiter.keySpec, this);
      // Envoy: a request without the key's value (e.g. header absent) is not limited by that policy.
      if (key === null) continue;
      const d = limiter.check(key);
      if (d instanceof Promise) {
        d.then(
          (decision) => {
            if (this.closed) return;
            if (!decision.allowed) return this.rateLimited(limiter, decision);
            this.applyRateLimits(route, i + 1);
          },
        ).catch((err: unknown) => this.fail(err));
        return;
      }
      if (!d.allowed) return this.rateLimited(limiter, d);
    }
    this.act(route);
  }

  rateLimited(limiter: TRateLimiter, d: TRateLimitDecision): void {
    this.deps.metrics.rateLimited(limiter.policy);
    this.localReply(429, "RL", "rate limited\n", [
      "x-ratelimit-limit", String(d.limit),
      "x-ratelimit-remaining", String(d.remaining),
      "x-ratelimit-reset", String(d.resetSeconds),
      "retry-after", String(d.retryAfterSeconds),
    ]);
  }

  /** A bug in an async continuation must cost one request, never the process. */
  fail(err: unknown): void {
    this.deps.log("request_failed", { requestId: this.requestId, path: this.path, error: err });
    if (!this.res.headersSent) this.localReply(500, "UC", "internal proxy error\n");
    else this.res.destroy();
  }

  act(route: TCompiledRoute<ClusterRuntime>): void {
    const action = route.action;
    switch (action.kind) {
      case "route":
        return this.forward(route, action);
      case "directResponse": {
        const headers = ["content-type", action.contentType, "content-length", String(action.body.length), "x-request-id", this.requestId];
        if (this.filterCtx?.addResponseHeaders.length) headers.push(...this.filterCtx.addResponseHeaders);
        if (route.responseHeaders.length) applyHeaderMutations(headers, route.responseHeaders);
        this.bytesOut = action.body.length;
        (this.res as ServerResponse).writeHead(action.status, headers);
        this.res.end(action.body);
        return;
      }
      case "redirect": {
        const location = redirectLocation(route, action, { scheme: "http", host: this.host, path: this.path, query: this.query });
        const headers = ["location", location, "content-length", "0", "x-request-id", this.requestId];
        if (route.responseHeaders.length) applyHeaderMutations(headers, route.responseHeaders);
        (this.res as ServerResponse).writeHead(action.responseCode, headers);
        this.res.end();
        return;
      }
    }
  }

  forward(route: TCompiledRoute<ClusterRuntime>, action: TCompiledForwardAction<ClusterRuntime>): void {
    const target = pickTarget(action);
    if (!target) return this.localReply(503, "UH", "no healthy upstream\n");
    this.clusterName = target.name;
    const cluster = target.cluster;
    this.cluster = cluster;
    if (cluster.hashing && action.hashPolicy.length) this.hash = requestHash(action.hashPolicy, this.headers, this.remoteAddress);
    this.retryPolicy = action.retryPolicy;
    this.perTryTimeoutMs = action.retryPolicy?.perTryTimeoutMs ?? 0;
    this.idleTimeoutMs = action.idleTimeoutMs;
    this.upstreamDone = false;

    const req = this.req;
    const headers = this.buildUpstreamHeaders(action.hostRewrite);
    if (route.requestHeaders.length) applyHeaderMutations(headers, route.requestHeaders);
    this.upstreamHeaders = headers;
    this.upstreamPath = action.prefixRewrite === null ? (req.url ?? "/") : rewritePath(route, action.prefixRewrite, this.path, this.query);

    // The route timeout (0 = none), shortened by a gRPC client's grpc-timeout (the deadline
    // it will give up at anyway); the header itself is forwarded unchanged. It starts
    // before the body is buffered and covers every try and back-off.
    let timeoutMs = action.timeoutMs;
    if (this.grpc) {
      const deadline = parseGrpcTimeout(this.headers["grpc-timeout"]);
      if (deadline !== null && (timeoutMs === 0 || deadline < timeoutMs)) timeoutMs = Math.max(1, deadline);
    }
    if (timeoutMs > 0) {
      this.timeoutMs = timeoutMs;
      this.timer = setTimeout(onRouteTimeout, timeoutMs, this);
    }

    // A body exists when the request says so (RFC 9112 §6.3); HTTP/2: unless the HEADERS
    // frame ended the stream (gRPC bodies have no length).
    const contentLength = req.headers["content-length"];
    const hasBody = this.h2
      ? !(req as Http2ServerRequest).stream.endAfterHeaders
      : contentLength !== undefined
        ? Number(contentLength) > 0
        : req.headers["transfer-encoding"] !== undefined;
    if (!hasBody) {
      if (action.mirrors.length) this.mirror(action, null);
      return this.startTry();
    }
    if (action.retryPolicy !== null || action.mirrors.length) {
      // Retries and mirrors replay the body: buffer it up to the limit first. (A streaming
      // gRPC call on such a route is therefore sent upstream once the client half-closes
      // or the limit is passed.)
      // Never buffer past the listener's body limit: a bigger body streams and is counted.
      const maxBody = this.listener.limits.maxRequestBodyBytes;
      const bufferLimit = action.retryPolicy?.maxBufferBytes ?? DEFAULT_MIRROR_BUFFER_BYTES;
      const limit = maxBody !== undefined ? Math.min(bufferLimit, maxBody) : bufferLimit;
      readReplayableBody(req, limit).then(
        (b) => this.bodyReady(action, b),
        () => undefined, // client went away mid-body: onDownstreamClose has it
      );
      return;
    }
    // Streamed with back pressure (undici, or the H2Pool's pipe).
    this.replayable = false;
    // Node's HTTP/1.1 parser holds a body to its Content-Length (checked in run()); other
    // bodies are counted, and held to maxRequestBodyBytes, as they stream.
    if (contentLength !== undefined && !this.h2) {
      this.body = req as Readable;
      this.bytesIn = Number(contentLength);
    } else {
      // undici streams async iterables with back pressure (client-h1 writeIterable); its
      // types only list Readable.
      this.body = this.countBody() as unknown as Readable;
    }
    this.startTry();
  }

  bodyReady(action: TCompiledForwardAction<ClusterRuntime>, b: TRequestBody): void {
    if (this.upstreamDone) return;
    if (b.kind === "buffered") {
      this.body = b.data;
      this.bytesIn = b.data.length;
    } else {
      // Too big to replay: streamed to one try, never retried, never mirrored.
      this.replayable = false;
      const declared = this.headers["content-length"];
      const counted = declared === undefined || this.h2 || this.listener.limits.maxRequestBodyBytes !== undefined;
      if (!counted) this.bytesIn = Number(declared);
      this.body = (counted ? this.countIterable(b.source) : b.source) as unknown as Readable;
    }
    if (action.mirrors.length) this.mirror(action, b.kind === "buffered" ? b.data : undefined);
    this.startTry();
  }

  /** `body` undefined = the request has a body that was too big to buffer: mirrors skip. */
  mirror(action: TCompiledForwardAction<ClusterRuntime>, body: Buffer | null | undefined): void {
    const sink = this.deps.metrics.mirror;
    if (body === undefined) {
      for (const m of action.mirrors) sink(m.name, "skipped");
      return;
    }
    sendMirrors(action.mirrors, this.method, this.upstreamPath, this.upstreamHeaders, body, sink);
  }

  /** One try: circuit breakers, endpoint, dispatch. */
  startTry(): void {
    this.retryTimer = null;
    if (this.upstreamDone) return;
    const cluster = this.cluster as ClusterRuntime;
    const b = cluster.breakers;
    if (cluster.activeRequests >= b.maxRequests || cluster.pendingRequests >= b.maxPendingRequests) {
      this.deps.metrics.overflow(cluster.name);
      this.finishUpstream();
      return this.localReply(503, "UO", "upstream overflow: circuit breaker open\n");
    }
    const endpoint = cluster.pick(this.hash, this.tried);
    if (!endpoint) {
      this.finishUpstream();
      return this.localReply(503, "UH", "no healthy upstream\n");
    }
    this.endpoint = endpoint;
    const attempt = ++this.attempts;
    const t = new UpstreamTry(this, cluster, endpoint, attempt > 1, this.perTryTimeoutMs, this.idleTimeoutMs);
    this.current = t;
    const headers = this.upstreamHeaders.concat("x-switchyard-attempt-count", String(attempt));
    // Each try is a CLIENT span whose id is the parent the upstream sees.
    this.upstreamStatus = 0;
    this.traceTry = this.trace.startTry(headers);
    // undici would derive SNI from the Host header; the cluster's tls.sni wins.
    const servername = endpoint.tls?.servername;
    const opts = { method: this.method, path: this.upstreamPath, headers, body: this.body };
    endpoint.pool.dispatch(servername ? { ...opts, servername } : opts, t);
  }

  /** Whether another try may start now; counts a retry-breaker overflow. */
  mayRetry(): boolean {
    const p = this.retryPolicy;
    if (p === null || !this.replayable || this.upstreamDone || this.attempts > p.numRetries) return false;
    const cluster = this.cluster as ClusterRuntime;
    if (cluster.activeRetries >= cluster.breakers.maxRetries) {
      this.deps.metrics.retryOverflow(cluster.name);
      return false;
    }
    return true;
  }

  scheduleRetry(t: UpstreamTry): void {
    const cluster = this.cluster as ClusterRuntime;
    this.deps.metrics.retry(cluster.name);
    (this.tried ??= []).push(t.endpoint);
    this.current = null;
    this.retryTimer = setTimeout(onRetryTimer, backoffMs(this.retryPolicy as TCompiledRetryPolicy, this.attempts), this);
  }

  /** Chunked request bodies have no length up front: count them as they stream through. */
  countBody(): AsyncGenerator<Buffer> {
    return this.countIterable(this.req as AsyncIterable<Buffer>);
  }

  /**
   * Counts a streamed body and holds it to limits.maxRequestBodyBytes: the chunk that
   * passes the limit is never yielded; the exchange answers 413 and the generator throws,
   * which makes undici / the H2Pool abort the upstream request instead of ending it.
   */
  async *countIterable(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const maxBody = this.listener.limits.maxRequestBodyBytes;
    for await (const chunk of source) {
      this.bytesIn += chunk.length;
      if (maxBody !== undefined && this.bytesIn > maxBody) {
        this.bodyTooLarge(maxBody);
        throw new RequestBodyTooLargeError(maxBody);
      }
      yield chunk;
    }
  }

  /**
   * 413 for a body over limits.maxRequestBodyBytes. Any upstream try is cancelled first.
   * HTTP/1.1 gets `connection: close`: the rest of the body is never read, so the
   * connection cannot carry another request (Node would otherwise drain it).
   */
  bodyTooLarge(limit: number): void {
    if (!this.upstreamDone) {
      this.finishUpstream();
      this.current?.cancel(new RequestBodyTooLargeError(limit));
    }
    if (this.res.headersSent) {
      (this.res as ServerResponse).destroy();
      return;
    }
    this.localReply(413, "", `request body larger than ${limit} bytes\n`, this.h2 ? [] : ["connection", "close"], true);
  }

  /** Downstream headers minus hop-by-hop ones, plus host, x-forwarded-*, x-request-id. */
  buildUpstreamHeaders(hostRewrite: string | null): string[] {
    const raw = this.req.rawHeaders;
    const out: string[] = [];
    const connection = this.headers.connection;
    // Fields named in Connection are hop-by-hop too (RFC 9110 §7.6.1).
    const named = connection && connection !== "keep-alive" && connection !== "close" ? new Set(connection.toLowerCase().split(/\s*,\s*/)) : null;
    const removed = this.filterCtx?.removeRequestHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = (raw[i] as string).toLowerCase();
      // HTTP/2 pseudo-headers (:method, :path, :authority, :scheme) are not fields.
      // Trace headers are written per try (startTry), with that try's span id as parent.
      if (name.charCodeAt(0) === 58 || HOP_BY_HOP.has(name) || REQUEST_OWNED.has(name) || TRACE_HEADERS.has(name) || (named !== null && named.has(name))) continue;
      if (removed !== undefined && removed.length && removed.includes(name)) continue;
      if (isProxyOwnedRequestHeader(name)) continue;
      out.push(name, raw[i + 1] as string);
    }
    // TE is hop-by-hop, but "trailers" must reach gRPC servers (RFC 9113 §8.2.2 allows exactly that value).
    const te = this.headers.te;
    if (typeof te === "string" && te.includes("trailers")) out.push("te", "trailers");
    const host = hostRewrite ?? this.host;
    if (host) out.push("host", host);
    const contentLength = this.headers["content-length"];
    if (contentLength !== undefined) out.push("content-length", contentLength);
    const remote = this.req.socket.remoteAddress ?? "";
    const xff = this.headers["x-forwarded-for"];
    out.push("x-forwarded-for", xff ? `${xff}, ${remote}` : remote);
    out.push("x-forwarded-proto", this.tlsSocket ? "https" : "http");
    out.push("x-request-id", this.requestId);
    // Envoy's forward_client_cert_details SANITIZE_SET: a client's own XFCC is dropped
    // (REQUEST_OWNED) and only a verified certificate is described.
    if (this.tlsSocket) {
      const peer = this.filterCtx ? this.filterCtx.peer : peerIdentity(this.tlsSocket);
      if (peer) out.push("x-forwarded-client-cert", peer.xfcc);
    }
    if (this.filterCtx?.addRequestHeaders.length) out.push(...this.filterCtx.addRequestHeaders);
    return out;
  }

  // ---- try callbacks (TTryOwner) ----------------------------------------------------

  tryHeaders(t: UpstreamTry, statusCode: number, rawHeaders: Buffer[], resume: () => void): "forwarded" | "retry" {
    if (this.upstreamDone) {
      t.cancel(new RetryAbortError());
      return "retry";
    }
    this.upstreamStatus = statusCode;
    const p = this.retryPolicy;
    if (p !== null && retriableStatus(p, statusCode)) {
      if (this.mayRetry()) {
        // The answer is dropped; its connection too (undici cannot skip an unread body).
        this.endTraceTry("", true);
        t.cancel(new RetryAbortError());
        this.scheduleRetry(t);
        return "retry";
      }
      // Retriable but out of retries: the upstream's answer goes out, flagged.
      if (this.attempts > 1 || p.numRetries === 0) this.flags = "URX";
    }
    this.committed = true;
    this.resumeUpstream = resume;
    const out: string[] = [];
    let named: Set<string> | null = null;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = (rawHeaders[i] as Buffer).toString("latin1").toLowerCase();
      if (name === "connection") {
        const v = (rawHeaders[i + 1] as Buffer).toString("latin1").toLowerCase();
        if (v !== "keep-alive" && v !== "close") named = new Set(v.split(/\s*,\s*/));
        continue;
      }
      if (HOP_BY_HOP.has(name) || name === "x-request-id") continue;
      const value = (rawHeaders[i + 1] as Buffer).toString("latin1");
      if (this.grpc && (name === "grpc-status" || name === "grpc-message")) (this.grpcStatusInHead ??= []).push(name, value);
      out.push(name, value);
    }
    if (named !== null) {
      for (let i = out.length - 2; i >= 0; i -= 2) if (named.has(out[i] as string)) out.splice(i, 2);
    }
    out.push("x-request-id", this.requestId);
    if (this.filterCtx?.addResponseHeaders.length) out.push(...this.filterCtx.addResponseHeaders);
    const route = this.route as TCompiledRoute<ClusterRuntime>;
    if (route.responseHeaders.length) applyHeaderMutations(out, route.responseHeaders);
    (this.res as ServerResponse).writeHead(statusCode, out);
    return "forwarded";
  }

  tryData(chunk: Buffer): boolean {
    if (this.upstreamDone) return true;
    this.bytesOut += chunk.length;
    if ((this.res as ServerResponse).write(chunk)) return true;
    // Back pressure: undici stops reading the upstream socket until the client drains.
    this.res.once("drain", this.resumeUpstream as () => void);
    return false;
  }

  tryComplete(_t: UpstreamTry, trailers?: (Buffer | string)[] | null): void {
    if (this.upstreamDone) return;
    this.endTraceTry("", this.upstreamStatus >= 500);
    this.finishUpstream();
    // Trailers (gRPC's grpc-status) travel to HTTP/2 clients; HTTP/1.1 clients get none
    // (they would need chunked encoding and a TE: trailers promise).
    if (this.h2) {
      const res = this.res as Http2ServerResponse;
      if (trailers && trailers.length) {
        const t: Record<string, string> = {};
        for (let i = 0; i < trailers.length; i += 2) t[latin1(trailers[i]).toLowerCase()] = latin1(trailers[i + 1]);
        res.addTrailers(t);
      } else if (this.grpcStatusInHead) {
        // Trailers-only upstream answer: repeat its status as trailers, which every gRPC client reads.
        const t: Record<string, string> = {};
        const g = this.grpcStatusInHead;
        for (let i = 0; i < g.length; i += 2) t[g[i] as string] = g[i + 1] as string;
        res.addTrailers(t);
      }
    }
    this.res.end();
  }

  tryFailed(t: UpstreamTry, err: Error): void {
    if (this.upstreamDone) return;
    const mapped = mapUpstreamError(err);
    this.endTraceTry(mapped.flag, true);
    if (this.committed) {
      // Mid-body failure: the status is out, so the only honest signal is a reset.
      this.finishUpstream();
      this.flags = mapped.flag;
      (this.res as ServerResponse).destroy(err);
      return;
    }
    const p = this.retryPolicy;
    const retriable = p !== null && retriableFailure(p, mapped, err instanceof PerTryTimeoutError);
    if (retriable && this.mayRetry()) return this.scheduleRetry(t);
    this.finishUpstream();
    const flag = retriable && this.attempts > 1 ? `${mapped.flag},URX` : mapped.flag;
    this.localReply(mapped.status, flag, `${mapped.message}\n`);
  }

  /** Route timeout fired: 504 UT if nothing was sent yet, else reset the client. */
  onTimeout(): void {
    this.timer = null;
    if (this.upstreamDone) return;
    const err = new UpstreamTimeoutError(this.timeoutMs);
    this.endTraceTry("UT", true);
    this.finishUpstream();
    this.current?.cancel(err);
    if (!this.res.headersSent) {
      const mapped = mapUpstreamError(err);
      this.localReply(mapped.status, mapped.flag, `${mapped.message}\n`);
    } else {
      this.flags = "UT";
      (this.res as ServerResponse).destroy(err);
    }
  }

  /** Ends the current try's CLIENT span (a no-op when none is open or nothing is recorded). */
  endTraceTry(flag: TResponseFlag | string, error: boolean): void {
    const t = this.traceTry;
    if (t === null) return;
    this.traceTry = null;
    if (!this.trace.recording) return;
    const ep = this.endpoint as UpstreamEndpoint;
    this.trace.endTry(
      t,
      `router ${this.clusterName ?? ""} egress`,
      {
        "http.request.method": this.method,
        "server.address": ep.address,
        "server.port": ep.port,
        "switchyard.upstream_host": ep.hostPort,
        "switchyard.cluster": this.clusterName ?? "",
        "http.response.status_code": this.upstreamStatus,
        "switchyard.response_flags": flag || "-",
      },
      error,
    );
  }

  /** No more upstream work: route timer and any pending back-off end here. */
  finishUpstream(): void {
    this.upstreamDone = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
  }

  /** `flag` may combine codes ("UF,URX"); `noFlag` for filter answers that are not failures (CORS). */
  localReply(status: number, flag: TResponseFlag | string, body: string, extra: readonly string[] = [], noFlag = false): void {
    this.flags = noFlag ? "" : flag;
    const res = this.res;
    if (res.headersSent || (res as ServerResponse).destroyed || res.writableEnded) return;
    const flagHeader = noFlag ? [] : [RESPONSE_FLAGS_HEADER, flag];
    if (this.grpc) {
      // gRPC clients read errors from grpc-status, always with HTTP 200 (gRPC over HTTP/2 spec).
      const message = encodeURIComponent(body.trim()).replace(/%20/g, " ");
      const code = String(grpcStatusForHttp(status, flag));
      const head = ["content-type", "application/grpc", ...flagHeader, "x-request-id", this.requestId, ...extra];
      if (this.h2) {
        (res as ServerResponse).writeHead(200, head);
        (res as Http2ServerResponse).addTrailers({ "grpc-status": code, "grpc-message": message });
      } else (res as ServerResponse).writeHead(200, [...head, "grpc-status", code, "grpc-message", message]);
      res.end();
      return;
    }
    (res as ServerResponse).writeHead(status, [
      "content-type", "text/plain",
      "content-length", String(Buffer.byteLength(body)),
      ...flagHeader,
      "x-request-id", this.requestId,
      ...extra,
      ...(this.filterCtx?.addResponseHeaders ?? []),
    ]);
    this.bytesOut = Buffer.byteLength(body);
    (res as ServerResponse).end(body);
  }

  onDownstreamClose(): void {
    this.closed = true;
    const res = this.res;
    // An HTTP/2 compat response reports writableFinished = true even when the client reset
    // the stream (RST_STREAM), so it cannot tell a finished exchange from an abandoned one:
    // pending upstream work, or an aborted request, means the client went away. Without
    // this an h2 client's cancelled streams kept their upstream tries (and circuit-breaker
    // slots) forever, blocked on a 'drain' that never comes (HTTP/2 rapid reset).
    const abandoned = !res.writableFinished || !this.upstreamDone || (this.h2 && (this.req as Http2ServerRequest).aborted);
    if (abandoned) {
      // The client went away before the whole response was written.
      if (!this.flags) this.flags = "DC";
      if (!this.upstreamDone) {
        this.endTraceTry("DC", true);
        this.finishUpstream();
        this.current?.cancel(new DownstreamClosedError());
      }
    }
    const status = res.headersSent ? res.statusCode : 0;
    const durationMs = performance.now() - this.start;
    const routeName = this.route?.name ?? null;
    const deps = this.deps;
    const listener = this.listener;
    deps.metrics.recordRequest(listener.name, routeName ?? "", this.clusterName ?? "", status, durationMs / 1000);
    deps.stats?.record(listener.name, routeName ?? "", this.clusterName ?? "", status, durationMs, this.bytesIn, this.bytesOut);
    if (deps.spans !== null && this.trace.recording) this.finishTrace(deps.spans, status, routeName);
    // Sampling decided once per request, here, only when the listener asks for less than all.
    const al = listener.accessLog;
    if (al.sampleRate < 1 && !(Math.random() < al.sampleRate)) return;
    deps.accessLog.write({
      time: new Date().toISOString(),
      method: this.method,
      authority: this.host,
      path: this.req.url ?? "/",
      status,
      responseFlags: this.flags || "-",
      durationMs: Math.round(durationMs * 1000) / 1000,
      upstreamHost: this.endpoint?.hostPort ?? null,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      requestId: this.requestId,
      traceId: this.trace.traceId,
      listener: listener.name,
      route: routeName,
      cluster: this.clusterName,
      attempts: this.attempts,
      ...requestIdentity(this.req, this.remoteAddress),
    }, al.format);
  }

  /** The SERVER span (and the tries' CLIENT spans) of a sampled request. */
  finishTrace(sink: TSpanSink, status: number, routeName: string | null): void {
    this.trace.finish(
      sink,
      `${this.method} ${routeName ?? "(no route)"}`,
      {
        "http.request.method": this.method,
        "url.path": this.path,
        "server.address": this.host,
        "http.response.status_code": status,
        "switchyard.listener": this.listener.name,
        "switchyard.route": routeName ?? "",
        "switchyard.cluster": this.clusterName ?? "",
        "switchyard.response_flags": this.flags || "-",
        "switchyard.upstream_host": this.endpoint?.hostPort ?? "",
        "switchyard.request_id": this.requestId,
        "http.request.body.size": this.bytesIn,
        "http.response.body.size": this.bytesOut,
        ...spanIdentity(this.req, this.remoteAddress),
      },
      status >= 500 || status === 0,
    );
  }
}

function onRetryTimer(ex: Exchange): void {
  try {
    ex.startTry();
  } catch (err) {
    ex.fail(err);
  }
}

function onRouteTimeout(ex: Exchange): void {
  ex.onTimeout();
}

function latin1(v: Buffer | string | undefined): string {
  return typeof v === "string" ? v : v === undefined ? "" : v.toString("latin1");
}
