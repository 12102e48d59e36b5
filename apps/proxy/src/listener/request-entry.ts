import { randomUUID } from "node:crypto";
import type { Duplex } from "node:stream";
import type { TAccessLog } from "../observability/access-log.ts";
import type { TMetrics } from "../observability/metrics.ts";
import type { TCompiledListener } from "../runtime/types.ts";
import { endUpgradeSocket, type TRequestDownstream } from "../pipeline/downstream.ts";
import { isoNow } from "../pipeline/finish.ts";
import type { TDownstreamRequest } from "./http-listener.ts";
import { requestIdentity } from "../observability/request-identity.ts";
import { clientAddressOf, resolveClientAddress } from "./client-address.ts";
import { normalizeTarget, type TTargetVerdict } from "./path-normalize.ts";

/**
 * The request entry: runs on every downstream request (HTTP/1.1, h2, h2c, gRPC, WebSocket
 * upgrades) after its head is read and before the pipeline (filters, router) sees it.
 * It rewrites the request in place so the pipeline needs no second notion of "the path":
 *   - `req.url` becomes the normalised origin-form target (path-normalize.ts);
 *   - an absolute-form target's authority replaces Host (RFC 9112 §3.2.2: the target wins);
 *   - the client address is resolved (client-address.ts: peer, PROXY header, trustedHops);
 * or it answers locally (400 for a target that cannot be read one way only, 307 for
 * escaped slashes under `escapedSlashes: redirect`) and the pipeline never runs. Those
 * answers are logged and counted like any request, with response flag DPE (Envoy's
 * downstream protocol error).
 */

export type TEntryDeps = { readonly accessLog: TAccessLog; readonly metrics: TMetrics };

/** Response flag of requests refused at the entry. */
const ENTRY_FLAG = "DPE";

/**
 * Both entries' first step: the client address resolved and the target normalised in
 * place; null when the request may go on, else the verdict it must be answered with.
 */
function enter(listener: TCompiledListener, req: TDownstreamRequest): Exclude<TTargetVerdict, { kind: "ok" }> | null {
  resolveClientAddress(req, listener.trustedHops);
  const verdict = normalizeTarget(req.url ?? "/", req.method ?? "GET", listener.pathNormalization);
  if (verdict.kind !== "ok") return verdict;
  if (verdict.target !== req.url) req.url = verdict.target;
  if (verdict.authority !== null) req.headers.host = verdict.authority;
  return null;
}

/** True when the pipeline may run; else the request has been answered. */
export function admitRequest(listener: TCompiledListener, req: TDownstreamRequest, downstream: TRequestDownstream, deps: TEntryDeps): boolean {
  const start = performance.now();
  const verdict = enter(listener, req);
  if (verdict === null) return true;
  const grpc = String(req.headers["content-type"] ?? "").startsWith("application/grpc");
  const h1 = req.httpVersionMajor === 1;
  // gRPC clients do not follow redirects: an escaped slash is refused instead.
  const [status, body, extra] =
    verdict.kind === "redirect" && !grpc
      ? [307, "", ["location", verdict.location]]
      : [400, `invalid request target: ${verdict.kind === "invalid" ? verdict.reason : "an escaped slash"}\n`, []];
  const headers = ["content-type", "text/plain", "content-length", String(Buffer.byteLength(body)), "x-switchyard-response-flags", ENTRY_FLAG, ...extra];
  // HTTP/1.1: a target this odd may hide a desynchronisation attempt; do not reuse the connection.
  if (h1 && status === 400) headers.push("connection", "close");
  downstream.writeHead(status, headers);
  downstream.end(body);
  logEntryReply(listener, req, status, start, Buffer.byteLength(body), deps);
  return false;
}

/** The same for an HTTP/1.1 Upgrade request, whose answer is written on the raw socket. */
export function admitUpgrade(listener: TCompiledListener, req: TDownstreamRequest, socket: Duplex, deps: TEntryDeps): boolean {
  const start = performance.now();
  const verdict = enter(listener, req);
  if (verdict === null) return true;
  const body = verdict.kind === "invalid" ? `invalid request target: ${verdict.reason}\n` : "";
  const status = verdict.kind === "invalid" ? 400 : 307;
  const lines = [
    status === 400 ? "HTTP/1.1 400 Bad Request" : "HTTP/1.1 307 Temporary Redirect",
    "connection: close",
    "content-type: text/plain",
    `content-length: ${Buffer.byteLength(body)}`,
    `x-switchyard-response-flags: ${ENTRY_FLAG}`,
  ];
  if (verdict.kind === "redirect") lines.push(`location: ${verdict.location}`);
  socket.on("error", () => socket.destroy());
  endUpgradeSocket(socket, `${lines.join("\r\n")}\r\n\r\n${body}`);
  logEntryReply(listener, req, status, start, Buffer.byteLength(body), deps);
  return false;
}

function logEntryReply(listener: TCompiledListener, req: TDownstreamRequest, status: number, start: number, bytesOut: number, deps: TEntryDeps): void {
  const durationMs = performance.now() - start;
  deps.metrics.recordRequest(listener.name, "", "", status, durationMs / 1000);
  deps.metrics.pathRefused(listener.name, status === 307 ? "redirected" : "refused");
  const al = listener.accessLog;
  if (al.sampleRate < 1 && !(Math.random() < al.sampleRate)) return;
  const id = req.headers["x-request-id"];
  deps.accessLog.write(
    {
      time: isoNow(),
      method: req.method ?? "",
      authority: req.headers.host ?? String(req.headers[":authority"] ?? ""),
      // The target as it arrived: it was not normalised (that is why it is refused).
      path: req.url ?? "",
      status,
      responseFlags: ENTRY_FLAG,
      durationMs: Math.round(durationMs * 1000) / 1000,
      upstreamHost: null,
      bytesIn: 0,
      bytesOut,
      requestId: typeof id === "string" && id.length > 0 ? id : randomUUID(),
      traceId: null,
      listener: listener.name,
      route: null,
      cluster: null,
      attempts: 0,
      ...requestIdentity(req, clientAddressOf(req)),
    },
    al.format,
  );
}
