import { randomUUID } from "node:crypto";
import { ServerResponse, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { routeRequest, pickTarget, rewritePath } from "../../router/index.ts";
import type { TCompiledListener } from "../../runtime/types.ts";
import type { TDownstreamRequest, TDownstreamResponse } from "../../listener/http-listener.ts";
import { connectUpstream } from "../../listener/tcp-listener.ts";
import { peerIdentity } from "../../listener/peer-identity.ts";
import { clientAddressOf } from "../../listener/client-address.ts";
import { requestIdentity } from "../../observability/request-identity.ts";
import { applyHeaderMutations } from "../header-mutation.ts";
import { runFilters, type TFilterContext, type TLocalReply } from "../chain.ts";
import type { TExchangeDeps } from "./exchange.ts";
import { RESPONSE_FLAGS_HEADER } from "./exchange.ts";
import { isProxyOwnedRequestHeader } from "./client-headers.ts";
import { requestHash } from "./hash.ts";

/**
 * HTTP/1.1 Upgrade requests (RFC 9110 §7.8), i.e. WebSocket (RFC 6455 §4):
 *   - `Upgrade: websocket` on a route with `allowUpgrade: true`: the filter chain runs
 *     (JWT, RBAC apply to WebSocket too), the request head is sent to an endpoint of the
 *     route's cluster with Upgrade/Connection kept, and from then on bytes are piped both
 *     ways with back pressure (pipe() pauses the faster side). The upstream's answer
 *     (101 or a refusal) reaches the client unchanged.
 *   - `Upgrade: websocket` on a route without it: 403 (as Envoy does for upgrades the
 *     route does not enable).
 *   - any other upgrade (e.g. curl's `Upgrade: h2c`): served as a plain HTTP/1.1 request
 *     with the upgrade headers stripped (h2c is only supported with prior knowledge).
 * The tunnel closes when either side closes, or after the route's upgradeIdleTimeoutMs
 * (default 300000) without bytes in either direction. The route timeout does not apply.
 */
export function handleUpgrade(
  listener: TCompiledListener,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  deps: TExchangeDeps,
  plainRequest: (listener: TCompiledListener, req: TDownstreamRequest, res: TDownstreamResponse) => void,
): void {
  const upgrade = (req.headers.upgrade ?? "").toLowerCase();
  if (upgrade !== "websocket") {
    // Serve as a plain request on this connection, then close it (the parser is detached).
    if (head.length) socket.unshift(head);
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    res.shouldKeepAlive = false;
    res.once("finish", () => socket.end());
    return plainRequest(listener, req, res);
  }
  socket.on("error", () => socket.destroy());
  const start = performance.now();
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? "" : url.slice(q + 1);
  const host = req.headers.host ?? "";
  const incomingId = req.headers["x-request-id"];
  const requestId = typeof incomingId === "string" && incomingId.length > 0 ? incomingId : randomUUID();
  const method = req.method ?? "GET";
  const { route } = routeRequest(listener.routeTable, { method, host, path, query, headers: req.headers });
  let clusterName: string | null = null;
  let upstreamHost: string | null = null;
  let status = 0;
  let flag = "-";
  let rx = 0;
  let tx = 0;
  let logged = false;
  const log = () => {
    if (logged) return;
    logged = true;
    const durationMs = performance.now() - start;
    deps.metrics.recordRequest(listener.name, route?.name ?? "", clusterName ?? "", status, durationMs / 1000);
    deps.accessLog.write({
      time: new Date().toISOString(),
      method,
      authority: host,
      path: url,
      status,
      responseFlags: flag,
      durationMs: Math.round(durationMs * 1000) / 1000,
      upstreamHost,
      bytesIn: rx,
      bytesOut: tx,
      requestId,
      traceId: null,
      listener: listener.name,
      route: route?.name ?? null,
      cluster: clusterName,
      attempts: upstreamHost === null ? 0 : 1,
      ...requestIdentity(req, clientAddressOf(req)),
    });
  };
  const reply = (r: TLocalReply) => {
    status = r.status;
    flag = r.flag || "-";
    const lines = [`HTTP/1.1 ${r.status} ${STATUS_TEXT[r.status] ?? "Error"}`, "connection: close", "content-type: text/plain", `content-length: ${Buffer.byteLength(r.body)}`, `x-request-id: ${requestId}`];
    if (r.flag) lines.push(`${RESPONSE_FLAGS_HEADER}: ${r.flag}`);
    for (let i = 0; i < r.headers.length; i += 2) lines.push(`${r.headers[i]}: ${r.headers[i + 1]}`);
    socket.end(`${lines.join("\r\n")}\r\n\r\n${r.body}`);
    log();
  };

  if (!route) return reply({ status: 404, flag: "NR", body: "route not found\n", headers: [] });
  const action = route.action;
  if (action.kind !== "route" || !action.allowUpgrade) {
    const target = action.kind === "route" ? action.targets[0]?.name ?? "" : "";
    deps.metrics.upgradeResult(listener.name, route.name, target, "refused");
    return reply({ status: 403, flag: "", body: "upgrade not allowed on this route\n", headers: [] });
  }

  const tlsSocket = (req.socket as TLSSocket).encrypted ? (req.socket as TLSSocket) : null;
  const ctx: TFilterContext = {
    method,
    path,
    headers: req.headers,
    remoteAddress: clientAddressOf(req),
    peer: tlsSocket ? peerIdentity(tlsSocket) : null,
    jwtClaims: null,
    addRequestHeaders: [],
    removeRequestHeaders: [],
    addResponseHeaders: [],
  };
  const proceed = () => {
    const target = pickTarget(action);
    // Hash policies keep a client's tunnels on one endpoint for ringHash / maglev clusters.
    const hash = target?.cluster.hashing && action.hashPolicy.length ? requestHash(action.hashPolicy, req.headers, clientAddressOf(req)) : undefined;
    const endpoint = target?.cluster.pick(hash, null) ?? null;
    if (!target || !endpoint) return reply({ status: 503, flag: "UH", body: "no healthy upstream\n", headers: [] });
    clusterName = target.name;
    upstreamHost = endpoint.hostPort;
    const up = connectUpstream(endpoint);
    const connectTimer = setTimeout(() => up.destroy(Object.assign(new Error("connect timeout"), { code: "UND_ERR_CONNECT_TIMEOUT" })), target.cluster.connectTimeoutMs);
    let open = false;
    up.once("error", () => {
      clearTimeout(connectTimer);
      if (!open) {
        deps.metrics.upgradeResult(listener.name, route.name, target.name, "failed");
        return reply({ status: 503, flag: "UF", body: "upstream connect error\n", headers: [] });
      }
      socket.destroy();
    });
    up.once(endpoint.tls ? "secureConnect" : "connect", () => {
      clearTimeout(connectTimer);
      open = true;
      deps.metrics.upgradeOpened(listener.name);
      const headers = upstreamHeaders(req, ctx, action.hostRewrite ?? host, requestId, tlsSocket !== null);
      if (route.requestHeaders.length) applyHeaderMutations(headers, route.requestHeaders);
      const target = action.prefixRewrite === null ? url : rewritePath(route, action.prefixRewrite, path, query);
      let text = `${method} ${target} HTTP/1.1\r\n`;
      for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
      up.write(`${text}\r\n`);
      if (head.length) up.write(head);
      up.once("data", (first: Buffer) => {
        // "HTTP/1.1 101 ..." -> 101; the bytes go to the client unchanged.
        status = Number(first.toString("latin1", 9, 12)) || 0;
        deps.metrics.upgradeResult(listener.name, route.name, clusterName ?? "", status === 101 ? "upgraded" : "rejected");
      });
      up.on("data", (c: Buffer) => (tx += c.length));
      socket.on("data", (c: Buffer) => (rx += c.length));
      up.pipe(socket);
      socket.pipe(up);
      if (action.upgradeIdleTimeoutMs > 0) {
        // The downstream socket's timer is reset by reads and writes: traffic in either direction.
        (socket as Socket).setTimeout?.(action.upgradeIdleTimeoutMs, () => {
          flag = "IDLE";
          socket.destroy();
          up.destroy();
        });
      }
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        socket.destroy();
        up.destroy();
        deps.metrics.upgradeClosed(listener.name, rx, tx);
        log();
      };
      up.once("close", close);
      socket.once("close", close);
    });
  };
  const r = listener.filters.length ? runFilters(listener.filters, ctx) : null;
  if (r instanceof Promise) {
    r.then((v) => (v ? reply(v) : proceed())).catch(() => reply({ status: 500, flag: "", body: "internal proxy error\n", headers: [] }));
  } else if (r) reply(r);
  else proceed();
}

/** Request headers kept for the tunnel: everything but x-forwarded-*, host and x-request-id (set by us) and filter removals. */
function upstreamHeaders(req: IncomingMessage, ctx: TFilterContext, host: string, requestId: string, secure: boolean): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (name === "host" || name === "x-forwarded-for" || name === "x-forwarded-proto" || name === "x-request-id" || name === "x-forwarded-client-cert") continue;
    if (ctx.removeRequestHeaders.includes(name) || isProxyOwnedRequestHeader(name)) continue;
    out.push(name, raw[i + 1] as string);
  }
  out.push("host", host);
  const remote = req.socket.remoteAddress ?? "";
  const xff = req.headers["x-forwarded-for"];
  out.push("x-forwarded-for", xff ? `${xff}, ${remote}` : remote, "x-forwarded-proto", secure ? "https" : "http", "x-request-id", requestId);
  if (ctx.peer) out.push("x-forwarded-client-cert", ctx.peer.xfcc);
  out.push(...ctx.addRequestHeaders);
  return out;
}

const STATUS_TEXT: Record<number, string> = { 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable" };
