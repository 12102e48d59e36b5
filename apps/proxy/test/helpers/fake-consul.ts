import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A FAKE Consul agent (no Consul runs here) speaking the real HTTP API for the one
 * endpoint the proxy uses, `GET /v1/health/service/<name>`, with Consul's blocking-query
 * protocol: every answer carries `X-Consul-Index`; a request with `index=N` is held
 * while the index is still N (up to `wait`, e.g. "30s") and answered as soon as anything
 * changes. Supports `passing`, `tag`, `dc` (unknown dc -> 500 "No path to datacenter",
 * as Consul says) and returns Consul's entry shape ({Node, Service, Checks}).
 */

export type TConsulInstance = {
  id: string;
  address: string;
  port: number;
  tags?: string[];
  /** Datacenter; default "dc1" (the agent's own). */
  dc?: string;
  /** Aggregate check status; default "passing". */
  status?: "passing" | "warning" | "critical";
  weight?: number;
};

export type TFakeConsul = {
  readonly url: string;
  /** Query strings the proxy sent, in order. */
  readonly queries: URLSearchParams[];
  setService(name: string, instances: TConsulInstance[]): void;
  /** While set, every request answers this status (an agent in trouble). */
  failWith(status: number | null): void;
  close(): Promise<void>;
};

export async function startFakeConsul(): Promise<TFakeConsul> {
  const services = new Map<string, TConsulInstance[]>();
  let index = 1;
  let failStatus: number | null = null;
  const queries: URLSearchParams[] = [];
  const waiters = new Set<() => void>();
  const bump = () => {
    index++;
    for (const w of [...waiters]) w();
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://consul");
    const m = /^\/v1\/health\/service\/([^/]+)$/.exec(url.pathname);
    if (req.method !== "GET" || !m) return send(res, 404, "text/plain", "404 page not found", index);
    queries.push(url.searchParams);
    if (failStatus !== null) return send(res, failStatus, "text/plain", "rpc error: no cluster leader", index);
    const dc = url.searchParams.get("dc") ?? "dc1";
    if (dc !== "dc1" && dc !== "dc2") return send(res, 500, "text/plain", `No path to datacenter`, index);
    const name = decodeURIComponent(m[1] as string);
    const wanted = Number(url.searchParams.get("index") ?? "0");
    const waitMs = parseWait(url.searchParams.get("wait"));
    const answer = () => {
      const passing = url.searchParams.has("passing") && url.searchParams.get("passing") !== "false";
      const tag = url.searchParams.get("tag");
      const body = (services.get(name) ?? [])
        .filter((i) => (i.dc ?? "dc1") === dc)
        .filter((i) => !passing || (i.status ?? "passing") === "passing")
        .filter((i) => tag === null || (i.tags ?? []).includes(tag))
        .map((i) => ({
          Node: { ID: `node-${i.id}`, Node: `node-${i.id}`, Address: "127.0.0.1", Datacenter: i.dc ?? "dc1" },
          Service: { ID: i.id, Service: name, Tags: i.tags ?? [], Address: i.address, Port: i.port, Weights: { Passing: i.weight ?? 1, Warning: 1 } },
          Checks: [{ Node: `node-${i.id}`, CheckID: "serfHealth", Status: i.status ?? "passing" }],
        }));
      send(res, 200, "application/json", JSON.stringify(body), index);
    };
    // Blocking query: hold while nothing changed since the caller's index.
    if (wanted > 0 && wanted >= index) {
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (!res.writableEnded && !res.destroyed) answer();
      };
      const timer = setTimeout(done, waitMs);
      waiters.add(done);
      res.on("close", () => {
        clearTimeout(timer);
        waiters.delete(done);
      });
      return;
    }
    answer();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    queries,
    setService(name, instances) {
      services.set(name, instances);
      bump();
    },
    failWith(status) {
      failStatus = status;
      bump();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const w of [...waiters]) w();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, type: string, body: string, index: number): void {
  res.writeHead(status, { "content-type": type, "x-consul-index": String(index), "x-consul-knownleader": "true" });
  res.end(body);
}

/** Consul's wait format: "10s", "5m", "500ms"; default 5m, capped at 10m. */
function parseWait(w: string | null): number {
  const m = /^(\d+)(ms|s|m)?$/.exec(w ?? "");
  if (!m) return 300_000;
  const n = Number(m[1]);
  const ms = m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000;
  return Math.min(ms, 600_000);
}
