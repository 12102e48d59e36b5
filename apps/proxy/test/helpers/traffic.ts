import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Small helpers for the traffic-management tests: scriptable upstreams and a config
 * builder with one listener, one catch-all virtual host and the given routes/clusters.
 */

export type TScripted = {
  readonly port: number;
  readonly server: Server;
  /** Every request seen: url, headers. */
  readonly seen: IncomingMessage[];
  close(): Promise<void>;
};

/** An upstream whose behaviour is a function of the request (e.g. of x-switchyard-attempt-count). */
export async function startScripted(handler: (req: IncomingMessage, res: ServerResponse) => void, port = 0): Promise<TScripted> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port }, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Answers `status` with a small JSON body naming the upstream. */
export function answer(res: ServerResponse, status: number, name: string, extra: Record<string, unknown> = {}): void {
  const body = JSON.stringify({ upstream: name, ...extra });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-upstream": name });
  res.end(body);
}

export function proxyConfig(port: number, routes: unknown[], clusters: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    listeners: [{ name: "public", address: "127.0.0.1", port, routeConfig: "main", ...(extra.listener as object | undefined) }],
    routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes, ...(extra.vhost as object | undefined) }] }],
    clusters,
    rateLimitPolicies: extra.rateLimitPolicies ?? [],
  };
}

export const ep = (port: number, weight = 1) => ({ address: "127.0.0.1", port, weight });

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export type TClustersBody = {
  clusters: {
    name: string;
    runtimeId: number;
    availableEndpoints: number;
    panic: boolean;
    endpoints: { port: number; health: string; ejected: boolean; ejections: number; activeRequests: number; successes: number; errors: number }[];
  }[];
};

/** Value of a Prometheus series line `name{labels} value` (labels as written by prom-client), or 0. */
export function metricValue(text: string, name: string, labels: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}
