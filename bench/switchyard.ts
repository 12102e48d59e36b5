import type { ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BENCH_PROXY_CPU } from "./env.ts";
import { freePort, spawnPinned, tempDir, waitHttp } from "./lib.ts";

/**
 * switchyard-proxy under test: one worker (`--workers 1`) pinned to the proxy CPU, with
 * the features that cost per request switched on: a multi-route table (the request
 * matches the last forwarding route), a request header added by the virtual host,
 * Prometheus metrics (always on) and the JSON access log written to a real file.
 */

export type TSwitchyard = { child: ChildProcess; port: number; adminPort: number; dir: string; file: string; events: TEvent[] };
type TEvent = { event: string; [k: string]: unknown };

const ROUTE_FORWARD = { cluster: "origin" };

/**
 * The "realistic small" config: two virtual hosts, 10 routes; /small and /large hit the 9th route.
 * `noHeader`: without the virtual host's request header, so the route's filter chain is empty.
 */
export function smallConfig(port: number, originPort: number, extra: { listener?: Record<string, unknown>; secrets?: unknown[]; noHeader?: boolean } = {}): unknown {
  return {
    listeners: [{ name: "bench", address: "127.0.0.1", port, routeConfig: "main", ...extra.listener }],
    routeConfigs: [
      {
        name: "main",
        virtualHosts: [
          { name: "admin", domains: ["admin.example.com"], routes: [{ name: "admin", match: { prefix: "/" }, directResponse: { status: 403, body: "no" } }] },
          {
            name: "all",
            domains: ["*"],
            ...(extra.noHeader ? {} : { requestHeaders: { add: [{ name: "x-env", value: "bench" }] } }),
            routes: [
              { name: "health", match: { path: "/healthz" }, directResponse: { status: 200, body: "ok" } },
              { name: "old", match: { prefix: "/old" }, redirect: { pathRedirect: "/new", responseCode: 301 } },
              { name: "users", match: { prefix: "/api/users", methods: ["GET", "POST"] }, route: ROUTE_FORWARD },
              { name: "orders", match: { regex: "/api/orders/[0-9]+" }, route: ROUTE_FORWARD },
              { name: "canary", match: { prefix: "/", headers: [{ name: "x-canary", exact: "1" }] }, route: ROUTE_FORWARD },
              { name: "debug", match: { prefix: "/", query: [{ name: "debug", present: true }] }, route: ROUTE_FORWARD },
              { name: "static", match: { prefix: "/static/" }, route: ROUTE_FORWARD },
              { name: "v2", match: { regex: "/v2/.*" }, route: ROUTE_FORWARD },
              { name: "bodies", match: { prefix: "/" }, route: ROUTE_FORWARD },
              { name: "never", match: { prefix: "/never" }, route: ROUTE_FORWARD },
            ],
          },
        ],
      },
    ],
    clusters: [{ name: "origin", endpoints: [{ address: "127.0.0.1", port: originPort }] }],
    ...(extra.secrets ? { secrets: extra.secrets } : {}),
  };
}

/**
 * 10,000 routes (even: prefix "/svc<i>/", odd: regex "/re<i>/[a-z]+/[0-9]+") over 1,000
 * clusters, each with the origin as its endpoint, then a catch-all. ROUTING_PATH matches
 * route 9998, so a linear matcher would walk the whole table.
 */
export const ROUTING_PATH = "/svc9998/items";
export function routingConfig(port: number, originPort: number): unknown {
  const routes = [];
  for (let i = 0; i < 10_000; i++) {
    routes.push({
      name: `r${i}`,
      match: i % 2 === 0 ? { prefix: `/svc${i}/` } : { regex: `/re${i}/[a-z]+/[0-9]+` },
      route: { cluster: `c${i % 1000}` },
    });
  }
  routes.push({ name: "fallback", match: { prefix: "/" }, route: { cluster: "c0" } });
  return {
    listeners: [{ name: "bench", address: "127.0.0.1", port, routeConfig: "main" }],
    routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes }] }],
    clusters: Array.from({ length: 1000 }, (_, i) => ({ name: `c${i}`, endpoints: [{ address: "127.0.0.1", port: originPort }] })),
  };
}

/**
 * `root`: the checkout whose proxy runs (default: this one; the filter-chain scenario also
 * runs a baseline checkout). `cpu`: the taskset list it is pinned to (the workers scenario
 * gives `--workers 2` two CPUs).
 */
export async function startSwitchyard(config: (port: number) => unknown, workers = 1, root = ".", cpu = BENCH_PROXY_CPU): Promise<TSwitchyard> {
  const [port, adminPort] = await Promise.all([freePort(), freePort()]);
  const dir = await tempDir("switchyard");
  const file = join(dir, "switchyard.json");
  await writeFile(file, JSON.stringify(config(port)));
  const child = spawnPinned(
    cpu,
    process.execPath,
    [join(root, "apps/proxy/bin/switchyard-proxy.js"), "--config", file, "--admin", `127.0.0.1:${adminPort}`, "--access-log", join(dir, "access.log"), "--workers", String(workers)],
    { stderr: "pipe" },
  );
  const events: TEvent[] = [];
  let partial = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      try {
        events.push(JSON.parse(line) as TEvent);
      } catch {
        // not a JSON event line (a stack trace): kept out of the table
      }
    }
  });
  // /ready is 200 only once the listeners are bound; a plain-HTTP probe first warms the path (https listeners skip it).
  await waitReady(adminPort);
  if (!JSON.stringify(config(port)).includes('"protocol":"https"')) await waitHttp(`http://127.0.0.1:${port}/healthz`);
  return { child, port, adminPort, dir, file, events };
}

export async function waitReady(adminPort: number, version?: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const body = await fetch(`http://127.0.0.1:${adminPort}/ready`).then(
      async (r) => (r.ok ? ((await r.json()) as { version: number | null }) : null),
      () => null,
    );
    if (body && (version === undefined || body.version === version)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`switchyard-proxy (admin ${adminPort}) did not become ready${version !== undefined ? ` with version ${version}` : ""}`);
}
