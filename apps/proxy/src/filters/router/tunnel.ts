import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { pickTarget, rewritePath } from "../../router/index.ts";
import type { TCompiledForwardAction, TCompiledRoute } from "../../router/types.ts";
import type { ActiveRequest, TTerminal } from "../../pipeline/active-request.ts";
import { connectUpstream } from "../../listener/tcp-listener.ts";
import type { TTry as TTraceTry } from "../../observability/tracing/request-trace.ts";
import type { ClusterRuntime, UpstreamEndpoint } from "../../upstream/cluster.ts";
import { DownstreamClosedError, mapUpstreamError } from "../../upstream/errors.ts";
import { requestHash } from "./hash.ts";
import { buildUpstreamHeaders, HOP_BY_HOP } from "./upstream-headers.ts";
import { UpstreamTry, type TTryOwner } from "./upstream-try.ts";

/** A response head from the upstream larger than this closes the tunnel attempt (Node's default maxHeaderSize is 16 KiB). */
const MAX_RESPONSE_HEAD_BYTES = 65_536;

/**
 * The tunnel terminal: an HTTP/1.1 Upgrade (WebSocket, RFC 6455 §4) on a route with
 * `allowUpgrade: true`, after the decoder filters (JWT, RBAC, rate limits) ran like for any
 * request. A route without it gets 403 (as Envoy does for upgrades the route does not
 * enable). The tunnel is an upstream try like a forwarded request's: circuit breakers
 * (maxRequests / maxPendingRequests; the open tunnel holds a request slot), an endpoint
 * from the load balancer (hash policies keep a client's tunnels on one endpoint), outlier
 * outcomes (connect failure, the answer's status), a CLIENT span whose id the upstream
 * sees as traceparent. The upstream's response head goes through the encoder filters'
 * response-headers phase; from then on bytes are piped both ways with back pressure (no
 * body filters on tunnel bytes). The tunnel closes when either side closes, or after the
 * route's upgradeIdleTimeoutMs (default 300000) without bytes (flag IDLE). The route
 * timeout does not apply.
 */
export function tunnel(ar: ActiveRequest, socket: Duplex, head: Buffer, route: TCompiledRoute<ClusterRuntime>): void {
  const action = route.action;
  const metrics = ar.deps.metrics;
  if (action.kind !== "route" || !action.allowUpgrade) {
    metrics.upgradeResult(ar.listener.name, route.name, action.kind === "route" ? (action.targets[0]?.name ?? "") : "", "refused");
    return ar.localReply(403, "", "upgrade not allowed on this route\n", [], true);
  }
  const target = pickTarget(action);
  if (!target) return ar.localReply(503, "UH", "no healthy upstream\n");
  const cluster = target.cluster;
  ar.clusterName = target.name;
  // Node-wide breakers (workers share them): a promise only when the primary is asked.
  const admitted = cluster.admitTry();
  if (admitted === true) return openTunnel(ar, socket, head, route, cluster);
  if (admitted === false) return overflow(ar, cluster);
  void admitted.then((ok) => {
    if (!ok) return overflow(ar, cluster);
    if (socket.destroyed) return cluster.cancelAdmission();
    openTunnel(ar, socket, head, route, cluster);
  });
}

function overflow(ar: ActiveRequest, cluster: ClusterRuntime): void {
  ar.deps.metrics.overflow(cluster.name);
  ar.localReply(503, "UO", "upstream overflow: circuit breaker open\n");
}

/** Admitted: an endpoint and the tunnel's try (which gives the breaker slots back when it ends). */
function openTunnel(ar: ActiveRequest, socket: Duplex, head: Buffer, route: TCompiledRoute<ClusterRuntime>, cluster: ClusterRuntime): void {
  const action = route.action as TCompiledForwardAction<ClusterRuntime>;
  const hash = cluster.hashing && action.hashPolicy.length ? requestHash(action.hashPolicy, ar.headers, ar.remoteAddress) : undefined;
  const endpoint = cluster.pick(hash, null);
  if (!endpoint) {
    cluster.cancelAdmission();
    return ar.localReply(503, "UH", "no healthy upstream\n");
  }
  const t = new Tunnel(ar, socket, route, action, cluster, endpoint);
  ar.terminal = t;
  t.open(head);
}

class Tunnel implements TTryOwner, TTerminal {
  readonly ar: ActiveRequest;
  readonly socket: Duplex;
  readonly route: TCompiledRoute<ClusterRuntime>;
  readonly action: TCompiledForwardAction<ClusterRuntime>;
  readonly endpoint: UpstreamEndpoint;
  readonly try: UpstreamTry;
  up: Socket | null = null;
  traceTry: TTraceTry | null = null;
  /** Connecting or waiting for the upstream's head: a client leaving now abandons it. */
  busy = true;
  status = 0;
  #piping = false;
  #closed = false;

  constructor(ar: ActiveRequest, socket: Duplex, route: TCompiledRoute<ClusterRuntime>, action: TCompiledForwardAction<ClusterRuntime>, cluster: ClusterRuntime, endpoint: UpstreamEndpoint) {
    this.ar = ar;
    this.socket = socket;
    this.route = route;
    this.action = action;
    this.endpoint = endpoint;
    ar.upstreamHost = endpoint.hostPort;
    ar.attempts = 1;
    // The try owns the breaker accounting (active + pending until connected) and the outlier reports.
    this.try = new UpstreamTry(this, cluster, endpoint, false, 0, 0);
  }

  open(head: Buffer): void {
    const ar = this.ar;
    const up = connectUpstream(this.endpoint);
    this.up = up;
    const connectTimer = setTimeout(
      () => up.destroy(Object.assign(new Error("connect timeout"), { code: "UND_ERR_CONNECT_TIMEOUT" })),
      this.try.cluster.connectTimeoutMs,
    );
    // Before the tunnel is piped, an upstream failure is the try's (503 local reply, outlier
    // report); after, it closes the tunnel.
    const onGone = (err?: Error) => {
      clearTimeout(connectTimer);
      if (this.#piping) return this.close();
      if (this.busy) this.try.onError(err ?? Object.assign(new Error("upstream closed before its response head"), { code: "UND_ERR_SOCKET" }));
    };
    up.once("error", onGone);
    up.once("close", () => onGone());
    up.once(this.endpoint.tls ? "secureConnect" : "connect", () => {
      clearTimeout(connectTimer);
      this.try.onConnect((err) => up.destroy(err));
      const headers = buildUpstreamHeaders(ar, this.action.hostRewrite, true);
      this.traceTry = ar.trace.startTry(headers);
      const path = this.action.prefixRewrite === null ? ar.url : rewritePath(this.route, this.action.prefixRewrite, ar.path, ar.query);
      let text = `${ar.method} ${path} HTTP/1.1\r\n`;
      for (let i = 0; i < headers.length; i += 2) text += `${headers[i] as string}: ${headers[i + 1] as string}\r\n`;
      up.write(`${text}\r\n`);
      if (head.length) up.write(head);
      this.readHead(up);
    });
  }

  /** Collects the upstream's response head, then hands it to the try (outlier outcome) and the encoder path. */
  readHead(up: Socket): void {
    let buffered: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      const end = buffered.indexOf("\r\n\r\n");
      if (end === -1) {
        if (buffered.length > MAX_RESPONSE_HEAD_BYTES) up.destroy(Object.assign(new Error("upstream response head too large"), { code: "UND_ERR_HEADERS_OVERFLOW" }));
        return;
      }
      up.off("data", onData);
      up.pause();
      const lines = buffered.toString("latin1", 0, end).split("\r\n");
      const status = Number((lines[0] ?? "").slice(9, 12)) || 0;
      const raw: Buffer[] = [];
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        if (colon > 0) raw.push(Buffer.from(line.slice(0, colon).trim(), "latin1"), Buffer.from(line.slice(colon + 1).trim(), "latin1"));
      }
      this.try.onHeaders(status, raw, () => undefined);
      this.pipe(buffered.subarray(end + 4));
    };
    up.on("data", onData);
  }

  // ---- TTryOwner: the try reports its head and its failures here ----

  tryHeaders(_t: UpstreamTry, status: number, rawHeaders: Buffer[]): "forwarded" | "retry" {
    const ar = this.ar;
    this.busy = false;
    this.status = status;
    ar.deps.metrics.upgradeResult(ar.listener.name, this.route.name, ar.clusterName ?? "", status === 101 ? "upgraded" : "rejected");
    const out: string[] = [];
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = (rawHeaders[i] as Buffer).toString("latin1").toLowerCase();
      // An upgrade answer keeps Connection/Upgrade (they describe the switch), other hop-by-hop fields go.
      if ((HOP_BY_HOP.has(name) && name !== "connection" && name !== "upgrade") || name === "x-request-id") continue;
      out.push(name, (rawHeaders[i + 1] as Buffer).toString("latin1"));
    }
    out.push("x-request-id", ar.requestId);
    ar.sendHeaders(status, out);
    return "forwarded";
  }

  tryData(): boolean {
    return true;
  }

  tryComplete(): void {
    this.#endTraceTry(false);
  }

  tryFailed(_t: UpstreamTry, err: Error): void {
    const ar = this.ar;
    this.busy = false;
    this.#endTraceTry(true);
    ar.deps.metrics.upgradeResult(ar.listener.name, this.route.name, ar.clusterName ?? "", "failed");
    const mapped = mapUpstreamError(err);
    if (ar.downstream.writable) ar.localReply(mapped.status, mapped.flag, `${mapped.message}\n`);
    else this.socket.destroy();
  }

  /** TTerminal: the client left, or a filter replaced the answer, before the tunnel opened. */
  cancel(reason: Error): void {
    this.busy = false;
    this.#endTraceTry(true);
    this.try.cancel(reason);
    this.up?.destroy();
  }

  /** The head went out (after any async response filter): bytes flow raw both ways from here. */
  pipe(rest: Buffer): void {
    const ar = this.ar;
    const up = this.up as Socket;
    ar.whenEncoded(() => {
      // The client left, or a response filter answered instead of the upstream: no tunnel.
      if (ar.closed || this.socket.destroyed || ar.downstream.status !== this.status) return this.cancel(new DownstreamClosedError());
      this.#piping = true;
      ar.deps.metrics.upgradeOpened(ar.listener.name);
      if (rest.length) {
        ar.bytesOut += rest.length;
        this.socket.write(rest);
      }
      up.on("data", (c: Buffer) => (ar.bytesOut += c.length));
      this.socket.on("data", (c: Buffer) => (ar.bytesIn += c.length));
      up.pipe(this.socket);
      this.socket.pipe(up);
      up.resume();
      const idleMs = this.action.upgradeIdleTimeoutMs;
      if (idleMs > 0) {
        // The downstream socket's timer is reset by reads and writes: traffic in either direction.
        (this.socket as Socket).setTimeout?.(idleMs, () => {
          ar.flags = "IDLE";
          this.close();
        });
      }
      this.socket.once("close", () => this.close());
    });
  }

  /** Either side closed (or idle): both go, the try ends (its breaker slot freed), the request finishes. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.socket.destroy();
    this.up?.destroy();
    // A tunnel that opened is a success for the endpoint whatever closed it.
    if (!this.try.done) this.try.onComplete(null);
    else this.#endTraceTry(false);
    const ar = this.ar;
    if (this.#piping) ar.deps.metrics.upgradeClosed(ar.listener.name, ar.bytesIn, ar.bytesOut);
    ar.finish();
  }

  #endTraceTry(error: boolean): void {
    const t = this.traceTry;
    if (t === null) return;
    this.traceTry = null;
    const ar = this.ar;
    if (!ar.trace.recording) return;
    const ep = this.endpoint;
    ar.trace.endTry(
      t,
      `router ${ar.clusterName ?? ""} upgrade`,
      {
        "http.request.method": ar.method,
        "server.address": ep.address,
        "server.port": ep.port,
        "switchyard.upstream_host": ep.hostPort,
        "switchyard.cluster": ar.clusterName ?? "",
        "http.response.status_code": this.status,
        "switchyard.response_flags": ar.flags || "-",
      },
      error,
    );
  }
}
