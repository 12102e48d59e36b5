import { createHash, timingSafeEqual } from "node:crypto";
import { isIPv4 } from "node:net";
import type { IncomingMessage } from "node:http";

/**
 * Who may use the admin server. It listens on loopback by default (127.0.0.1:9901), where
 * only this host reaches it. Bound anywhere else (containers publish it, Kubernetes
 * scrapes it) its mutating endpoints (POST: /healthcheck/fail and anything added later)
 * answer only to `Authorization: Bearer <--admin-token>`, and without a token they are
 * refused outright (403): a draining switch must not be one request away for a whole
 * network. With a token the mutating endpoints always need it, wherever the server
 * listens. `--admin-token-reads` makes the read endpoints need it too, except /ready,
 * which load balancers and container health checks poll without credentials and which
 * tells nothing but "serving or not".
 */

export type TAdminAuth = {
  /** --admin-token / SWITCHYARD_ADMIN_TOKEN; null = none. */
  readonly token: string | null;
  /** --admin-token-reads: GET endpoints (but /ready) need the token too. */
  readonly protectReads: boolean;
};

export type TAdminRefusal = { readonly status: 401 | 403; readonly error: string };

/** Endpoints open to anyone who can reach the server, whatever the settings. */
const ALWAYS_OPEN = new Set(["/ready"]);

/** 127.0.0.0/8, ::1, ::ffff:127.x and "localhost": only this host can connect. */
export function isLoopbackHost(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  const v4 = host.startsWith("::ffff:") ? host.slice(7) : host;
  return isIPv4(v4) && v4.startsWith("127.");
}

/** Compiles the settings once; the guard answers null (go on) or why the request is refused. */
export function createAdminGuard(auth: TAdminAuth, boundHost: string): (req: IncomingMessage, method: "GET" | "POST", path: string) => TAdminRefusal | null {
  const loopback = isLoopbackHost(boundHost);
  // Compared as SHA-256 digests: equal length, so timingSafeEqual cannot throw or leak the length.
  const expected = auth.token === null ? null : digest(auth.token);
  const presented = (req: IncomingMessage): boolean => {
    const h = req.headers.authorization;
    if (expected === null || typeof h !== "string" || !/^Bearer /i.test(h)) return false;
    return timingSafeEqual(digest(h.slice(7).trim()), expected);
  };
  return (req, method, path) => {
    if (ALWAYS_OPEN.has(path)) return null;
    if (method === "POST") {
      if (expected === null) {
        return loopback ? null : { status: 403, error: "mutating admin endpoints need --admin-token when the admin server listens beyond loopback" };
      }
      return presented(req) ? null : { status: 401, error: "admin token required (Authorization: Bearer <token>)" };
    }
    if (auth.protectReads && expected !== null && !presented(req)) return { status: 401, error: "admin token required (Authorization: Bearer <token>)" };
    return null;
  };
}

/** For the admin_up event: what the mutating and read endpoints ask for, in words. */
export function describeAdminAccess(auth: TAdminAuth, boundHost: string): string {
  if (auth.token !== null) return auth.protectReads ? "token for every endpoint but /ready" : "token for POST endpoints";
  return isLoopbackHost(boundHost) ? "loopback only, no token" : "beyond loopback: POST endpoints refused (no --admin-token), reads open";
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}
