import type { TConfigInput } from "@switchyard/config-model";

/**
 * The demo config seeded as version 1 on a fresh database: one listener on 8080, two
 * demo services behind it, a redirect and a direct response, so every action kind of
 * the skeleton is visible right after `npm start`.
 */
export function demoConfig(opts: { upstreamHost: string; usersPort: number; ordersPort: number; listenerPort: number }): TConfigInput {
  return {
    listeners: [{ name: "public", address: "0.0.0.0", port: opts.listenerPort, protocol: "http", routeConfig: "main" }],
    routeConfigs: [
      {
        name: "main",
        virtualHosts: [
          {
            name: "demo",
            domains: ["*"],
            routes: [
              { name: "healthz", match: { path: "/healthz" }, directResponse: { status: 200, body: "ok\n" } },
              { name: "users", match: { prefix: "/users" }, route: { cluster: "users" }, responseHeaders: { add: [{ name: "x-served-by", value: "switchyard" }] } },
              { name: "orders", match: { prefix: "/orders" }, route: { cluster: "orders" } },
              { name: "legacy", match: { prefix: "/old" }, redirect: { pathRedirect: "/users", responseCode: 301 } },
            ],
          },
        ],
      },
    ],
    clusters: [
      { name: "users", endpoints: [{ address: opts.upstreamHost, port: opts.usersPort }] },
      { name: "orders", endpoints: [{ address: opts.upstreamHost, port: opts.ordersPort }] },
    ],
  };
}
