import type { Socket } from "node:net";
import { redirectLocation } from "../router/index.ts";
import type { TCompiledRoute } from "../router/types.ts";
import type { TCompiledListener } from "../runtime/types.ts";
import type { ClusterRuntime } from "../upstream/cluster.ts";
import type { TDownstreamRequest } from "../listener/http-listener.ts";
import type { H1Request } from "../listener/h1/request.ts";
import { forward } from "../filters/router/exchange.ts";
import { tunnel } from "../filters/router/tunnel.ts";
import { ActiveRequest, type TPipelineDeps } from "./active-request.ts";
import { UpgradeDownstream, type TRequestDownstream } from "./downstream.ts";

/**
 * The HTTP connection manager: every request kind (HTTP/1.1, h2, gRPC, WebSocket
 * upgrades) runs this one lifecycle (docs/filters.md), with an error branch at every stage:
 *
 *   entry     limits.maxRequestBodyBytes against a declared Content-Length (413)
 *   route     virtual host, then the first matching route; cached on the request (null = none)
 *   decoder   the route's filter chain, in order (listener httpFilters with the route's
 *             filterOverrides, then rateLimit, then headerMutation): onRequestHeaders; any
 *             may answer locally or fail (500 FE); body chunks pass onRequestBody as they stream
 *   terminal  no route -> 404 NR; an Upgrade -> tunnel; else the route's action:
 *             forward (router: breakers, LB, tries, retries) | redirect | direct
 *   encoder   the response head, body chunks and trailers (upstream, redirect, direct or a
 *             local reply alike) pass the response phases of the filters that continued,
 *             last filter first; onResponseHeaders may replace an upstream answer
 *   finish    once, when the downstream closes: metrics, stats window, span, onDone, access log
 *
 * Local replies have one writer (ActiveRequest.localReply): plain text, or a gRPC error
 * (HTTP 200 + grpc-status) for gRPC clients, always with x-request-id and the response flag.
 */
export function handleRequest(listener: TCompiledListener, req: TDownstreamRequest, downstream: TRequestDownstream, deps: TPipelineDeps): void {
  const ar = new ActiveRequest(listener, req, downstream, deps);
  downstream.onClose((abandoned) => ar.onDownstreamClose(abandoned));
  try {
    // A declared length over limits.maxRequestBodyBytes is refused before any filter or
    // upstream work (chunked and HTTP/2 bodies are counted as they stream).
    const maxBody = listener.limits.maxRequestBodyBytes;
    const declared = ar.headers["content-length"];
    if (maxBody !== undefined && declared !== undefined && Number(declared) > maxBody) return ar.bodyTooLarge(maxBody);
    ar.decode((route) => act(ar, route));
  } catch (err) {
    // A bug or an unforeseen input must cost one request, never the process.
    ar.fail(err);
  }
}

/** The terminal of a plain request: the route's action. */
function act(ar: ActiveRequest, route: TCompiledRoute<ClusterRuntime> | null): void {
  if (!route) return ar.localReply(404, "NR", "route not found\n");
  const action = route.action;
  switch (action.kind) {
    case "route":
      return forward(ar, route, action);
    case "directResponse":
      return ar.respond(action.status, ["content-type", action.contentType, "content-length", String(action.body.length), "x-request-id", ar.requestId], action.body);
    case "redirect": {
      const location = redirectLocation(route, action, { scheme: "http", host: ar.host, path: ar.path, query: ar.query });
      return ar.respond(action.responseCode, ["location", location, "content-length", "0", "x-request-id", ar.requestId], "");
    }
  }
}

/**
 * HTTP/1.1 `Upgrade: websocket` requests (RFC 9110 §7.8, RFC 6455 §4): the lifecycle above
 * with the tunnel as terminal (filters/router/tunnel.ts). Any other upgrade (e.g. curl's
 * `Upgrade: h2c`) never comes here: the HTTP/1.1 engine serves it as a plain request with
 * the upgrade headers stripped (h2c is only supported with prior knowledge), then closes.
 */
export function handleUpgrade(listener: TCompiledListener, req: H1Request, socket: Socket, head: Buffer, deps: TPipelineDeps): void {
  socket.on("error", () => socket.destroy());
  const downstream = new UpgradeDownstream(socket);
  const ar = new ActiveRequest(listener, req, downstream, deps);
  ar.isUpgrade = true;
  // Deferred: an open tunnel's own close handler (same event) ends its try span first.
  socket.once("close", () => queueMicrotask(() => ar.onDownstreamClose(!downstream.headersSent)));
  try {
    ar.decode((route) => (route ? tunnel(ar, socket, head, route) : ar.localReply(404, "NR", "route not found\n")));
  } catch (err) {
    ar.fail(err);
  }
}
