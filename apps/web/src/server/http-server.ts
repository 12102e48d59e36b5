import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { TRPC_PREFIX } from "./api/handler.ts";
import type { TLog } from "./api/trpc.ts";
import { OIDC_PREFIX } from "./oidc/handler.ts";

export const XDS_PATH = "/api/xds";
export const REST_PREFIX = "/api/v1";
export const METRICS_PATH = "/metrics";

export type TRequestHandlers = {
  /** Answers false when the request is not one of its routes. */
  rest: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  trpc: (req: IncomingMessage, res: ServerResponse) => void;
  /** OIDC sign-in's browser endpoints under /api/auth/oidc; answers false when not one of them. */
  oidc?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  next: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** The console's own Prometheus text for GET /metrics; absent = Next answers /metrics. */
  metrics?: () => Promise<string>;
  log: TLog;
};

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}

function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * One process, one port: REST API, tRPC, then Next for everything else (pages, assets).
 * The order matters only in that /api/* never reaches Next, whose 404 page would hide
 * a mistyped API path behind HTML.
 */
export function createRequestListener(h: TRequestHandlers): (req: IncomingMessage, res: ServerResponse) => void {
  const fail = (req: IncomingMessage, res: ServerResponse, err: unknown) => {
    h.log("console.request.error", { method: req.method, url: req.url, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    if (!res.headersSent) {
      res.statusCode = 500;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ error: "internal error" }));
    } else res.destroy();
  };
  /** A handler that answers false for paths it does not serve: those get a JSON 404 (never Next's HTML page). */
  const serveOr404 = (handler: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>, req: IncomingMessage, res: ServerResponse, path: string) => {
    handler(req, res).then(
      (handled) => {
        if (handled) return;
        res.statusCode = 404;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ error: `no such endpoint: ${req.method} ${path}` }));
      },
      (err: unknown) => fail(req, res, err),
    );
  };
  return (req, res) => {
    const path = pathOf(req);
    // No page of the console may be framed by another site (clickjacking).
    res.setHeader("content-security-policy", "frame-ancestors 'none'");
    res.setHeader("x-frame-options", "DENY");
    if (under(path, REST_PREFIX)) return serveOr404(h.rest, req, res, path);
    // The console's own metrics, for Prometheus (unauthenticated like most scrape targets).
    if (path === METRICS_PATH && h.metrics && (req.method === "GET" || req.method === "HEAD")) {
      h.metrics().then(
        (body) => {
          res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8", "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
          res.end(req.method === "HEAD" ? undefined : body);
        },
        (err: unknown) => fail(req, res, err),
      );
      return;
    }
    if (h.oidc && under(path, OIDC_PREFIX)) return serveOr404(h.oidc, req, res, path);
    if (under(path, TRPC_PREFIX)) {
      try {
        h.trpc(req, res);
      } catch (err) {
        fail(req, res, err);
      }
      return;
    }
    h.next(req, res).catch((err: unknown) => fail(req, res, err));
  };
}

/**
 * Upgrades other than the control plane (which attachXdsServer owns) go to Next, which
 * uses them for hot reload in dev mode; in production nothing else upgrades.
 */
export function createUpgradeListener(nextUpgrade: ((req: IncomingMessage, socket: Duplex, head: Buffer) => Promise<void>) | undefined) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (pathOf(req) === XDS_PATH) return;
    if (nextUpgrade) nextUpgrade(req, socket, head).catch(() => socket.destroy());
    else socket.destroy();
  };
}
