import type { Readable } from "node:stream";
import { pickTarget, rewritePath } from "../../router/index.ts";
import type { TCompiledForwardAction, TCompiledRetryPolicy, TCompiledRoute } from "../../router/types.ts";
import type { ClusterRuntime, UpstreamEndpoint } from "../../upstream/cluster.ts";
import {
  PerTryTimeoutError,
  RequestBodyTooLargeError,
  RetryAbortError,
  UpstreamTimeoutError,
  mapUpstreamError,
  type TResponseFlag,
} from "../../upstream/errors.ts";
import type { TTry as TTraceTry } from "../../observability/tracing/request-trace.ts";
import type { ActiveRequest, TTerminal } from "../../pipeline/active-request.ts";
import { buildUpstreamHeaders, HOP_BY_HOP } from "./upstream-headers.ts";
import { requestHash } from "./hash.ts";
import { sendMirrors } from "./mirror.ts";
import { bufferIterable, firstBytes, readReplayableBody, type TRequestBody } from "./request-body.ts";
import { backoffMs, retriableFailure, retriableStatus } from "./retry.ts";
import { UpstreamTry, type TTryOwner } from "./upstream-try.ts";
import { parseGrpcTimeout } from "./grpc.ts";

/**
 * The router's forward terminal for one request (the connection manager, filters and
 * finish live in pipeline/): weighted cluster -> request body (buffered up to the
 * retry/mirror limit when the route retries or mirrors, else streamed; through the
 * filters' onRequestBody when the chain has any) -> mirrors (fire and forget) -> tries:
 * each try = circuit breakers -> endpoint (LB over available endpoints, another one on a
 * retry when possible) -> dispatch to the endpoint's pool (H1Pool, H2Pool; UpstreamTry;
 * grpc-timeout may shorten the route timeout) -> response head, body and trailers handed
 * to the connection manager's encoder path with back pressure, or retried (jittered
 * back-off) while the policy, the body, the retry breaker and the route timeout allow;
 * every failure -> ONE local reply through mapUpstreamError (status + response flag).
 * The route timeout covers every try and back-off.
 */

/** Response fields of a gRPC trailers-only answer that are not trailers (the rest is: grpc-status, grpc-message, grpc-status-details-bin, custom metadata). */
const GRPC_HEAD_ONLY = new Set(["content-type", "date", "server", "x-request-id", "content-length"]);

/** Body buffer limit of routes that mirror without a retry policy (1 MiB, the retry default). */
const DEFAULT_MIRROR_BUFFER_BYTES = 1_048_576;

export function forward(ar: ActiveRequest, route: TCompiledRoute<ClusterRuntime>, action: TCompiledForwardAction<ClusterRuntime>): void {
  const ex = new Exchange(ar);
  ar.terminal = ex;
  ex.forward(route, action);
}

class Exchange implements TTryOwner, TTerminal {
  readonly ar: ActiveRequest;
  /** gRPC trailers-only answers carry their trailers in the head: kept to re-send as trailers. */
  grpcTrailersInHead: string[] | null = null;
  route: TCompiledRoute<ClusterRuntime> | null = null;
  cluster: ClusterRuntime | null = null;
  endpoint: UpstreamEndpoint | null = null;
  /** True until the exchange needs no more upstream work (answered, given up, or DC). */
  upstreamDone = true;
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
  tried: UpstreamEndpoint[] | null = null;
  current: UpstreamTry | null = null;
  retryTimer: NodeJS.Timeout | null = null;
  /** A maxRetries slot is held for the next try (taken by mayRetry, passed to the retry's UpstreamTry). */
  retrySlot = false;
  /** The CLIENT span of the try in flight (one at a time), ended by endTraceTry. */
  traceTry: TTraceTry | null = null;
  /** Status of the current try's response head (0 before one arrived). */
  upstreamStatus = 0;
  /** The response head went to the client: from here a failure can only reset it. */
  committed = false;
  resumeUpstream: (() => void) | null = null;

  constructor(ar: ActiveRequest) {
    this.ar = ar;
  }

  get busy(): boolean {
    return !this.upstreamDone;
  }

  /** TTerminal: the client left, a filter answered instead, or the body was too large. */
  cancel(reason: Error): void {
    if (this.upstreamDone) return;
    this.endTraceTry(reason instanceof RequestBodyTooLargeError ? "" : "DC", true);
    this.finishUpstream();
    this.current?.cancel(reason);
  }

  forward(route: TCompiledRoute<ClusterRuntime>, action: TCompiledForwardAction<ClusterRuntime>): void {
    const target = pickTarget(action);
    if (!target) return this.ar.localReply(503, "UH", "no healthy upstream\n");
    this.ar.clusterName = target.name;
    const cluster = target.cluster;
    this.cluster = cluster;
    if (cluster.hashing && action.hashPolicy.length) this.hash = requestHash(action.hashPolicy, this.ar.headers, this.ar.remoteAddress);
    this.retryPolicy = action.retryPolicy;
    this.perTryTimeoutMs = action.retryPolicy?.perTryTimeoutMs ?? 0;
    this.idleTimeoutMs = action.idleTimeoutMs;
    this.upstreamDone = false;

    const req = this.ar.req;
    this.route = route;
    this.upstreamHeaders = buildUpstreamHeaders(this.ar, action.hostRewrite, false);
    this.upstreamPath = action.prefixRewrite === null ? (req.url ?? "/") : rewritePath(route, action.prefixRewrite, this.ar.path, this.ar.query);

    // The route timeout (0 = none), shortened by a gRPC client's grpc-timeout (the deadline
    // it will give up at anyway); the header itself is forwarded unchanged. It starts
    // before the body is buffered and covers every try and back-off.
    let timeoutMs = action.timeoutMs;
    if (this.ar.grpc) {
      const deadline = parseGrpcTimeout(this.ar.headers["grpc-timeout"]);
      if (deadline !== null && (timeoutMs === 0 || deadline < timeoutMs)) timeoutMs = Math.max(1, deadline);
    }
    if (timeoutMs > 0) {
      this.timeoutMs = timeoutMs;
      this.timer = setTimeout(onRouteTimeout, timeoutMs, this);
    }

    const contentLength = req.headers["content-length"];
    if (!this.ar.hasBody) {
      if (action.mirrors.length) this.mirror(action, null);
      return this.startTry();
    }
    const replay = action.retryPolicy !== null || action.mirrors.length > 0;
    if (this.ar.chain.requestBody) {
      // The filters' body (it may differ from the client's): counted as it arrives, then
      // filtered; buffered for retries and mirrors like any other body.
      const filtered = this.ar.decodeBody(this.countBody());
      if (replay) {
        bufferIterable(filtered, this.replayLimit(action)).then(
          (b) => {
            this.upstreamHeaders = buildUpstreamHeaders(this.ar, action.hostRewrite, false);
            this.bodyReady(action, b, true);
          },
          () => undefined, // client gone, filter answered or failed: the pipeline has it
        );
        return;
      }
      this.replayable = false;
      firstBytes(filtered).then(
        (body) => {
          if (this.upstreamDone) return;
          this.body = body as unknown as Readable;
          // Header edits made in body phases (extAuthz's allowed headers) count.
          this.upstreamHeaders = buildUpstreamHeaders(this.ar, action.hostRewrite, false);
          this.startTry();
        },
        () => undefined, // client gone, filter answered or failed: the pipeline has it
      );
      return;
    }
    if (replay) {
      // Retries and mirrors replay the body: buffer it up to the limit first. (A streaming
      // gRPC call on such a route is therefore sent upstream once the client half-closes
      // or the limit is passed.)
      // Never buffer past the listener's body limit: a bigger body streams and is counted.
      readReplayableBody(req, this.replayLimit(action)).then(
        (b) => this.bodyReady(action, b),
        () => undefined, // client went away mid-body: onDownstreamClose has it
      );
      return;
    }
    // Streamed with back pressure (the H1Pool's body pump, or the H2Pool's pipe).
    this.replayable = false;
    // The HTTP/1.1 engine holds a body to its Content-Length (listener/h1); other
    // bodies are counted, and held to maxRequestBodyBytes, as they stream.
    if (contentLength !== undefined && !this.ar.h2) {
      this.body = req as Readable;
      this.ar.bytesIn = Number(contentLength);
    } else {
      // Pools stream async iterables with back pressure (chunked to an HTTP/1.1 upstream).
      this.body = this.countBody() as unknown as Readable;
    }
    this.startTry();
  }

  /** Bytes a replayable body is buffered up to: the retry policy's limit, never past the listener's body limit. */
  replayLimit(action: TCompiledForwardAction<ClusterRuntime>): number {
    const maxBody = this.ar.listener.limits.maxRequestBodyBytes;
    const bufferLimit = action.retryPolicy?.maxBufferBytes ?? DEFAULT_MIRROR_BUFFER_BYTES;
    return maxBody !== undefined ? Math.min(bufferLimit, maxBody) : bufferLimit;
  }

  /** `counted`: the body already went through countBody (filtered bodies). */
  bodyReady(action: TCompiledForwardAction<ClusterRuntime>, b: TRequestBody, counted = false): void {
    if (this.upstreamDone) return;
    if (b.kind === "buffered") {
      this.body = b.data;
      if (!counted) this.ar.bytesIn = b.data.length;
    } else if (counted) {
      this.replayable = false;
      this.body = b.source as unknown as Readable;
    } else {
      // Too big to replay: streamed to one try, never retried, never mirrored.
      this.replayable = false;
      const declared = this.ar.headers["content-length"];
      const counted = declared === undefined || this.ar.h2 || this.ar.listener.limits.maxRequestBodyBytes !== undefined;
      if (!counted) this.ar.bytesIn = Number(declared);
      this.body = (counted ? this.countIterable(b.source) : b.source) as unknown as Readable;
    }
    if (action.mirrors.length) this.mirror(action, b.kind === "buffered" ? b.data : undefined);
    this.startTry();
  }

  /** `body` undefined = the request has a body that was too big to buffer: mirrors skip. */
  mirror(action: TCompiledForwardAction<ClusterRuntime>, body: Buffer | null | undefined): void {
    const sink = this.ar.deps.metrics.mirror;
    if (body === undefined) {
      for (const m of action.mirrors) sink(m.name, "skipped");
      return;
    }
    sendMirrors(action.mirrors, this.ar.method, this.upstreamPath, this.upstreamHeaders, body, sink);
  }

  /** One try: circuit breakers (node-wide: a promise only when the primary is asked), endpoint, dispatch. */
  startTry(): void {
    this.retryTimer = null;
    if (this.upstreamDone) return;
    const cluster = this.cluster as ClusterRuntime;
    const admitted = cluster.admitTry();
    if (admitted === true) return this.dispatchTry(cluster);
    if (admitted === false) return this.overflow(cluster);
    void admitted.then((ok) => {
      if (!ok) return this.overflow(cluster);
      if (this.upstreamDone) return cluster.cancelAdmission();
      this.dispatchTry(cluster);
    });
  }

  overflow(cluster: ClusterRuntime): void {
    if (this.upstreamDone) return;
    this.ar.deps.metrics.overflow(cluster.name);
    this.finishUpstream();
    this.ar.localReply(503, "UO", "upstream overflow: circuit breaker open\n");
  }

  dispatchTry(cluster: ClusterRuntime): void {
    const endpoint = cluster.pick(this.hash, this.tried);
    if (!endpoint) {
      cluster.cancelAdmission();
      this.finishUpstream();
      return this.ar.localReply(503, "UH", "no healthy upstream\n");
    }
    this.endpoint = endpoint;
    this.ar.upstreamHost = endpoint.hostPort;
    const attempt = ++this.ar.attempts;
    // A retry's maxRetries slot passes to its try, which gives it back when it ends.
    const isRetry = this.retrySlot;
    this.retrySlot = false;
    const t = new UpstreamTry(this, cluster, endpoint, isRetry, this.perTryTimeoutMs, this.idleTimeoutMs);
    this.current = t;
    const headers = this.upstreamHeaders.concat("x-switchyard-attempt-count", String(attempt));
    // Each try is a CLIENT span whose id is the parent the upstream sees.
    this.upstreamStatus = 0;
    this.traceTry = this.ar.trace.startTry(headers);
    // SNI is the pool's (the cluster's tls.sni or the endpoint's host name), never the Host header.
    endpoint.pool.dispatch({ method: this.ar.method, path: this.upstreamPath, headers, body: this.body }, t);
  }

  /**
   * Whether another try may start; true holds a maxRetries slot (Envoy: the breaker counts
   * a retry from this decision, back-off included, to the end of its try). Counts a
   * retry-breaker overflow. A promise only when the primary is asked for a slot.
   */
  mayRetry(): boolean | Promise<boolean> {
    const p = this.retryPolicy;
    if (p === null || !this.replayable || this.upstreamDone || this.ar.attempts > p.numRetries) return false;
    const cluster = this.cluster as ClusterRuntime;
    const got = cluster.acquireRetry();
    const decided = (ok: boolean): boolean => {
      if (!ok) this.ar.deps.metrics.retryOverflow(cluster.name);
      else if (this.upstreamDone) {
        cluster.releaseRetry();
        return false;
      } else this.retrySlot = true;
      return ok;
    };
    return got === true || got === false ? decided(got) : got.then(decided);
  }

  scheduleRetry(t: UpstreamTry): void {
    const cluster = this.cluster as ClusterRuntime;
    this.ar.deps.metrics.retry(cluster.name);
    (this.tried ??= []).push(t.endpoint);
    this.current = null;
    this.retryTimer = setTimeout(onRetryTimer, backoffMs(this.retryPolicy as TCompiledRetryPolicy, this.ar.attempts), this);
  }

  /** Chunked request bodies have no length up front: count them as they stream through. */
  countBody(): AsyncGenerator<Buffer> {
    return this.countIterable(this.ar.req as AsyncIterable<Buffer>);
  }

  /**
   * Counts a streamed body and holds it to limits.maxRequestBodyBytes: the chunk that
   * passes the limit is never yielded; the exchange answers 413 and the generator throws,
   * which makes the pool abort the upstream request instead of ending it.
   */
  async *countIterable(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const maxBody = this.ar.listener.limits.maxRequestBodyBytes;
    for await (const chunk of source) {
      this.ar.bytesIn += chunk.length;
      if (maxBody !== undefined && this.ar.bytesIn > maxBody) {
        this.ar.bodyTooLarge(maxBody);
        throw new RequestBodyTooLargeError(maxBody);
      }
      yield chunk;
    }
  }

  // ---- try callbacks (TTryOwner) ----------------------------------------------------

  tryHeaders(t: UpstreamTry, statusCode: number, rawHeaders: (Buffer | string)[], resume: () => void): "forwarded" | "retry" | "held" {
    if (this.upstreamDone) {
      t.cancel(new RetryAbortError());
      return "retry";
    }
    this.upstreamStatus = statusCode;
    const p = this.retryPolicy;
    if (p !== null && retriableStatus(p, statusCode)) {
      const may = this.mayRetry();
      if (may === true) return this.retryAnswer(t);
      if (may !== false) {
        // The response stays paused while the primary answers for a retry slot.
        void may.then((ok) => {
          if (ok) return void this.retryAnswer(t);
          if (this.upstreamDone || t.done) return;
          this.forwardHeaders(p, statusCode, rawHeaders, resume);
          resume();
        });
        return "held";
      }
    }
    return this.forwardHeaders(p, statusCode, rawHeaders, resume);
  }

  /** A retriable answer with a retry slot held: dropped with its connection (its unread body is not skipped). */
  retryAnswer(t: UpstreamTry): "retry" {
    this.endTraceTry("", true);
    t.cancel(new RetryAbortError());
    this.scheduleRetry(t);
    return "retry";
  }

  forwardHeaders(p: TCompiledRetryPolicy | null, statusCode: number, rawHeaders: (Buffer | string)[], resume: () => void): "forwarded" {
    // Retriable but out of retries: the upstream's answer goes out, flagged.
    if (p !== null && retriableStatus(p, statusCode) && (this.ar.attempts > 1 || p.numRetries === 0)) this.ar.flags = "URX";
    this.committed = true;
    this.resumeUpstream = resume;
    const out: string[] = [];
    let named: Set<string> | null = null;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = latin1(rawHeaders[i]).toLowerCase();
      if (name === "connection") {
        const v = latin1(rawHeaders[i + 1]).toLowerCase();
        if (v !== "keep-alive" && v !== "close") named = new Set(v.split(/\s*,\s*/));
        continue;
      }
      if (HOP_BY_HOP.has(name) || name === "x-request-id") continue;
      out.push(name, latin1(rawHeaders[i + 1]));
    }
    if (named !== null) {
      for (let i = out.length - 2; i >= 0; i -= 2) if (named.has(out[i] as string)) out.splice(i, 2);
    }
    if (this.ar.grpc && this.ar.h2) this.takeGrpcTrailersOnly(out);
    out.push("x-request-id", this.ar.requestId);
    this.ar.sendHeaders(statusCode, out);
    return "forwarded";
  }

  /**
   * A gRPC "trailers-only" answer (an error without a body: grpc-status in the one HEADERS
   * frame) cannot be passed on as such through Node's compat response, which always ends
   * a stream after its head. Its trailer fields (grpc-status, grpc-message,
   * grpc-status-details-bin and custom metadata) move from the head to real trailers,
   * where every gRPC client reads an error's status and metadata.
   */
  takeGrpcTrailersOnly(out: string[]): void {
    let trailersOnly = false;
    for (let i = 0; i < out.length; i += 2) if (out[i] === "grpc-status") trailersOnly = true;
    if (!trailersOnly) return;
    const moved: string[] = [];
    let w = 0;
    for (let r = 0; r < out.length; r += 2) {
      const name = out[r] as string;
      if (GRPC_HEAD_ONLY.has(name)) {
        out[w] = name;
        out[w + 1] = out[r + 1] as string;
        w += 2;
      } else moved.push(name, out[r + 1] as string);
    }
    out.length = w;
    this.grpcTrailersInHead = moved;
  }

  tryData(chunk: Buffer): boolean {
    if (this.upstreamDone) return true;
    // Back pressure: the pool stops reading the upstream socket until the client drains.
    return this.ar.sendData(chunk, this.resumeUpstream as () => void);
  }

  tryComplete(_t: UpstreamTry, trailers?: (Buffer | string)[] | null): void {
    if (this.upstreamDone) return;
    this.endTraceTry("", this.upstreamStatus >= 500);
    this.finishUpstream();
    // Trailers (gRPC's grpc-status) travel to HTTP/2 clients and in the last chunk of a
    // chunked HTTP/1.1 response (a Content-Length response has nowhere to put them); the
    // filters' onResponseTrailers sees them either way (grpcWeb moves them into the body).
    let flat: string[] | null = null;
    if (trailers && trailers.length) {
      flat = [];
      for (let i = 0; i < trailers.length; i += 2) flat.push(latin1(trailers[i]).toLowerCase(), latin1(trailers[i + 1]));
    } else flat = this.grpcTrailersInHead;
    this.ar.sendEnd(flat);
  }

  tryFailed(t: UpstreamTry, err: Error): void {
    if (this.upstreamDone) return;
    const mapped = mapUpstreamError(err);
    this.endTraceTry(mapped.flag, true);
    if (this.committed) {
      // Mid-body failure: the status is out, so the only honest signal is a reset.
      this.finishUpstream();
      this.ar.flags = mapped.flag;
      this.ar.downstream.destroy(err);
      return;
    }
    const p = this.retryPolicy;
    const retriable = p !== null && retriableFailure(p, mapped, err instanceof PerTryTimeoutError);
    const may = retriable ? this.mayRetry() : false;
    if (may === true) return this.scheduleRetry(t);
    if (may === false) return this.failedReply(mapped, retriable);
    void may.then((ok) => (ok ? this.scheduleRetry(t) : this.failedReply(mapped, retriable)));
  }

  failedReply(mapped: ReturnType<typeof mapUpstreamError>, retriable: boolean): void {
    if (this.upstreamDone) return;
    this.finishUpstream();
    const flag = retriable && this.ar.attempts > 1 ? `${mapped.flag},URX` : mapped.flag;
    this.ar.localReply(mapped.status, flag, `${mapped.message}\n`);
  }

  /** Route timeout fired: 504 UT if nothing was sent yet, else reset the client. */
  onTimeout(): void {
    this.timer = null;
    if (this.upstreamDone) return;
    const err = new UpstreamTimeoutError(this.timeoutMs);
    this.endTraceTry("UT", true);
    this.finishUpstream();
    this.current?.cancel(err);
    if (!this.ar.downstream.headersSent) {
      const mapped = mapUpstreamError(err);
      this.ar.localReply(mapped.status, mapped.flag, `${mapped.message}\n`);
    } else {
      this.ar.flags = "UT";
      this.ar.downstream.destroy(err);
    }
  }

  /** Ends the current try's CLIENT span (a no-op when none is open or nothing is recorded). */
  endTraceTry(flag: TResponseFlag | string, error: boolean): void {
    const t = this.traceTry;
    if (t === null) return;
    this.traceTry = null;
    if (!this.ar.trace.recording) return;
    const ep = this.endpoint as UpstreamEndpoint;
    this.ar.trace.endTry(
      t,
      `router ${this.ar.clusterName ?? ""} egress`,
      {
        "http.request.method": this.ar.method,
        "server.address": ep.address,
        "server.port": ep.port,
        "switchyard.upstream_host": ep.hostPort,
        "switchyard.cluster": this.ar.clusterName ?? "",
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
    // Ended in back-off (timeout, client gone): the retry's slot was never handed to a try.
    if (this.retrySlot) {
      this.retrySlot = false;
      (this.cluster as ClusterRuntime).releaseRetry();
    }
  }

}

function onRetryTimer(ex: Exchange): void {
  try {
    ex.startTry();
  } catch (err) {
    ex.ar.fail(err);
  }
}

function onRouteTimeout(ex: Exchange): void {
  ex.onTimeout();
}

function latin1(v: Buffer | string | undefined): string {
  return typeof v === "string" ? v : v === undefined ? "" : v.toString("latin1");
}
