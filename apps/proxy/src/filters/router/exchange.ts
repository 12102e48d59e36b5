import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { Dispatcher } from "undici";
import { routeRequest, pickTarget, rewritePath, redirectLocation } from "../../router/index.ts";
import type { TCompiledForwardAction, TCompiledRoute } from "../../router/types.ts";
import type { TCompiledListener } from "../../runtime/types.ts";
import type { ClusterRuntime, UpstreamEndpoint } from "../../upstream/cluster.ts";
import { DownstreamClosedError, UpstreamTimeoutError, mapUpstreamError, type TResponseFlag } from "../../upstream/errors.ts";
import type { TAccessLog } from "../../observability/access-log.ts";
import type { TMetrics } from "../../observability/metrics.ts";
import type { TLog } from "../../observability/log.ts";
import { applyHeaderMutations } from "../header-mutation.ts";
import { runFilters, type TFilterContext, type TLocalReply } from "../chain.ts";
import type { TDownstreamRequest, TDownstreamResponse } from "../../listener/http-listener.ts";
import { peerIdentity } from "../../listener/peer-identity.ts";
import { grpcStatusForHttp, parseGrpcTimeout } from "./grpc.ts";

/**
 * The HTTP connection manager + router filter for one downstream request.
 *
 * Lifecycle: route (virtual host, then first matching route) -> action:
 *   directResponse / redirect -> local answer;
 *   route -> weighted cluster -> endpoint (LB) -> undici dispatch with the request body
 *   streamed in and the response streamed out with back pressure;
 *   every failure -> ONE local reply through mapUpstreamError (status + response flag).
 * The downstream 'close' event ends every exchange: access log line + metrics.
 *
 * The class is also the undici dispatch handler. It uses undici's core handler methods
 * (onConnect/onHeaders/onData/onComplete/onError) because the pools call those directly:
 * no controller object and no parsed header object per response.
 */

export type TExchangeDeps = { readonly accessLog: TAccessLog; readonly metrics: TMetrics; readonly log: TLog };

/** RFC 9110 §7.6.1 connection-specific fields, plus `expect` (we answer 100-continue ourselves). */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);
/** Request headers the proxy sets itself, so incoming copies are dropped first. */
const REQUEST_OWNED = new Set(["host", "content-length", "x-request-id", "x-forwarded-proto", "x-forwarded-for", "expect", "x-forwarded-client-cert"]);

export const RESPONSE_FLAGS_HEADER = "x-switchyard-response-flags";

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

class Exchange {
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
  endpoint: UpstreamEndpoint | null = null;
  flags: TResponseFlag | "" = "";
  bytesIn = 0;
  bytesOut = 0;
  /** Set once the upstream exchange is over (complete, error, timeout or DC). */
  upstreamDone = true;
  timer: NodeJS.Timeout | null = null;
  timeoutMs = 0;
  abortUpstream: ((err: Error) => void) | null = null;
  resumeUpstream: (() => void) | null = null;
  /** Why we gave up on the upstream before it answered, for a late onConnect. */
  abortReason: Error | null = null;

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
    res.once("close", () => this.onDownstreamClose());
  }

  run(): void {
    const filters = this.listener.filters;
    if (filters.length === 0) return this.routeAndForward();
    const ctx: TFilterContext = {
      method: this.method,
      path: this.path,
      headers: this.headers,
      remoteAddress: this.req.socket?.remoteAddress ?? "",
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
    const endpoint = target.cluster.pick();
    if (!endpoint) return this.localReply(503, "UH", "no healthy upstream\n");
    this.endpoint = endpoint;
    endpoint.activeRequests++;
    this.upstreamDone = false;

    const req = this.req;
    const headers = this.upstreamHeaders(action.hostRewrite);
    if (route.requestHeaders.length) applyHeaderMutations(headers, route.requestHeaders);
    const path = action.prefixRewrite === null ? (req.url ?? "/") : rewritePath(route, action.prefixRewrite, this.path, this.query);

    // A body exists when the request says so (RFC 9112 §6.3); undici streams it with back pressure.
    // HTTP/2: unless the HEADERS frame ended the stream (gRPC bodies have no length).
    let body: Dispatcher.DispatchOptions["body"] = null;
    const contentLength = req.headers["content-length"];
    if (this.h2) {
      if (!(req as Http2ServerRequest).stream.endAfterHeaders) body = this.countBody() as unknown as Readable;
    } else if (contentLength !== undefined) {
      const n = Number(contentLength);
      if (n > 0) {
        body = req;
        this.bytesIn = n;
      }
    } else if (req.headers["transfer-encoding"] !== undefined) {
      // undici streams async iterables with back pressure (client-h1 writeIterable); its
      // types only list Readable.
      body = this.countBody() as unknown as Readable;
    }

    // The route timeout (0 = none), shortened by a gRPC client's grpc-timeout (the deadline
    // it will give up at anyway); the header itself is forwarded unchanged.
    let timeoutMs = action.timeoutMs;
    if (this.grpc) {
      const deadline = parseGrpcTimeout(this.headers["grpc-timeout"]);
      if (deadline !== null && (timeoutMs === 0 || deadline < timeoutMs)) timeoutMs = Math.max(1, deadline);
    }
    if (timeoutMs > 0) {
      this.timeoutMs = timeoutMs;
      this.timer = setTimeout(onRouteTimeout, timeoutMs, this);
    }
    // undici would derive SNI from the Host header; the cluster's tls.sni wins.
    const servername = endpoint.tls?.servername;
    endpoint.pool.dispatch(servername ? { method: this.method, path, headers, body, servername } : { method: this.method, path, headers, body }, this);
  }

  /** Chunked request bodies have no length up front: count them as they stream through. */
  async *countBody(): AsyncGenerator<Buffer> {
    for await (const chunk of this.req as AsyncIterable<Buffer>) {
      this.bytesIn += chunk.length;
      yield chunk;
    }
  }

  /** Downstream headers minus hop-by-hop ones, plus host, x-forwarded-*, x-request-id. */
  upstreamHeaders(hostRewrite: string | null): string[] {
    const raw = this.req.rawHeaders;
    const out: string[] = [];
    const connection = this.headers.connection;
    // Fields named in Connection are hop-by-hop too (RFC 9110 §7.6.1).
    const named = connection && connection !== "keep-alive" && connection !== "close" ? new Set(connection.toLowerCase().split(/\s*,\s*/)) : null;
    const removed = this.filterCtx?.removeRequestHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = (raw[i] as string).toLowerCase();
      // HTTP/2 pseudo-headers (:method, :path, :authority, :scheme) are not fields.
      if (name.charCodeAt(0) === 58 || HOP_BY_HOP.has(name) || REQUEST_OWNED.has(name) || (named !== null && named.has(name))) continue;
      if (removed !== undefined && removed.length && removed.includes(name)) continue;
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

  // ---- undici handler -------------------------------------------------------------

  onConnect(abort: (err?: Error) => void): void {
    if (this.abortReason) return abort(this.abortReason);
    this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // 1xx (other than 101, never asked for) are not forwarded; the final response follows.
    if (statusCode < 200) return true;
    if (this.upstreamDone) return false;
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
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.upstreamDone) return true;
    this.bytesOut += chunk.length;
    if ((this.res as ServerResponse).write(chunk)) return true;
    // Back pressure: undici stops reading the upstream socket until the client drains.
    this.res.once("drain", this.resumeUpstream as () => void);
    return false;
  }

  onComplete(trailers?: (Buffer | string)[] | null): void {
    if (this.upstreamDone) return;
    this.finishUpstream(true);
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

  onError(err: Error): void {
    // Done already: completed, or we aborted it (timeout / DC answered when they fired).
    if (this.upstreamDone) return;
    this.finishUpstream(false);
    const mapped = mapUpstreamError(err);
    if (!this.res.headersSent) this.localReply(mapped.status, mapped.flag, `${mapped.message}\n`);
    else {
      // Mid-body failure: the status is out, so the only honest signal is a reset.
      this.flags = mapped.flag;
      (this.res as ServerResponse).destroy(err);
    }
  }

  /** Route timeout fired: 504 UT if nothing was sent yet, else reset the client. */
  onTimeout(): void {
    this.timer = null;
    if (this.upstreamDone) return;
    const err = new UpstreamTimeoutError(this.timeoutMs);
    this.abortReason = err;
    this.finishUpstream(false);
    this.abortUpstream?.(err);
    if (!this.res.headersSent) {
      const mapped = mapUpstreamError(err);
      this.localReply(mapped.status, mapped.flag, `${mapped.message}\n`);
    } else {
      this.flags = "UT";
      (this.res as ServerResponse).destroy(err);
    }
  }

  finishUpstream(success: boolean): void {
    this.upstreamDone = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const ep = this.endpoint as UpstreamEndpoint;
    ep.activeRequests--;
    if (success) ep.successes++;
    else ep.errors++;
  }

  localReply(status: number, flag: TResponseFlag, body: string, extra: readonly string[] = [], noFlag = false): void {
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
    const res = this.res;
    if (!res.writableFinished) {
      // The client went away before the whole response was written.
      if (!this.flags) this.flags = "DC";
      if (!this.upstreamDone) {
        const err = new DownstreamClosedError();
        this.abortReason = err;
        this.finishUpstream(false);
        this.abortUpstream?.(err);
      }
    }
    const status = res.headersSent ? res.statusCode : 0;
    const durationMs = performance.now() - this.start;
    const routeName = this.route?.name ?? null;
    this.deps.metrics.recordRequest(this.listener.name, routeName ?? "", this.clusterName ?? "", status, durationMs / 1000);
    this.deps.accessLog.write({
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
      traceId: traceIdOf(this.headers.traceparent),
      listener: this.listener.name,
      route: routeName,
      cluster: this.clusterName,
    });
  }
}

function onRouteTimeout(ex: Exchange): void {
  ex.onTimeout();
}

/** W3C traceparent "00-<32 hex trace id>-<16 hex span id>-<2 hex flags>" -> trace id, else null. */
export function traceIdOf(traceparent: string | string[] | undefined): string | null {
  if (typeof traceparent !== "string" || traceparent.length < 55) return null;
  const id = traceparent.slice(3, 35);
  return traceparent[2] === "-" && traceparent[35] === "-" && /^[0-9a-f]{32}$/.test(id) && id !== "0".repeat(32) ? id : null;
}

function latin1(v: Buffer | string | undefined): string {
  return typeof v === "string" ? v : v === undefined ? "" : v.toString("latin1");
}
