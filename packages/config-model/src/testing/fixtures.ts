import type { z } from "zod";
import type { ZCluster } from "../cluster.ts";
import type { TConfigInput } from "../config.ts";
import type { ZListener } from "../listener.ts";
import type { ZRoute, ZRouteConfig, ZVirtualHost } from "../route.ts";

/** Builders for tests in every package: each returns a valid input object, overridable. */

type In<T extends z.ZodType> = z.input<T>;

export function makeListener(overrides: Partial<In<typeof ZListener>> = {}): In<typeof ZListener> {
  return { name: "public", address: "127.0.0.1", port: 8080, protocol: "http", routeConfig: "main", ...overrides };
}

export function makeRoute(overrides: Partial<In<typeof ZRoute>> = {}): In<typeof ZRoute> {
  const base: In<typeof ZRoute> = { name: "default", match: { prefix: "/" }, route: { cluster: "backend" } };
  return { ...base, ...overrides };
}

export function makeVirtualHost(overrides: Partial<In<typeof ZVirtualHost>> = {}): In<typeof ZVirtualHost> {
  return { name: "all", domains: ["*"], routes: [makeRoute()], ...overrides };
}

export function makeRouteConfig(overrides: Partial<In<typeof ZRouteConfig>> = {}): In<typeof ZRouteConfig> {
  return { name: "main", virtualHosts: [makeVirtualHost()], ...overrides };
}

export function makeCluster(overrides: Partial<In<typeof ZCluster>> = {}): In<typeof ZCluster> {
  return { name: "backend", endpoints: [{ address: "127.0.0.1", port: 9000 }], ...overrides };
}

/** A whole valid config: one listener -> one route config -> one cluster. */
export function makeConfig(overrides: Partial<TConfigInput> = {}): TConfigInput {
  return {
    listeners: [makeListener()],
    routeConfigs: [makeRouteConfig()],
    clusters: [makeCluster()],
    secrets: [],
    rateLimitPolicies: [],
    ...overrides,
  };
}
