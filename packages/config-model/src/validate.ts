import type { z } from "zod";
import { ZCluster } from "./cluster.ts";
import { ZConfig, type TConfig } from "./config.ts";
import { checkConsistency } from "./consistency.ts";
import { ConfigValidationError, issuesFromZod, type TConfigIssue } from "./errors.ts";
import { ZListener } from "./listener.ts";
import { ZRateLimitPolicy } from "./rate-limit.ts";
import { ZRoute, ZRouteConfig } from "./route.ts";
import { ZSecret } from "./secret.ts";
import { findUnservable } from "./servable.ts";

export type TValidationResult = { ok: true; config: TConfig } | { ok: false; issues: TConfigIssue[] };

/**
 * The one entry point for untrusted config (files, REST bodies, snapshots off the wire):
 * schema first (shape, defaults, exactly-one-of), then whole-snapshot consistency, then
 * what the proxy would refuse to serve (servable.ts). The console and the proxy both call
 * it, so a write the proxy would NACK is refused at the write. The result is deep-frozen so no later stage can mutate a shared config.
 */
export function validateConfig(input: unknown): TValidationResult {
  const parsed = ZConfig.safeParse(input);
  if (!parsed.success) return { ok: false, issues: issuesFromZod(parsed.error) };
  const issues = [...checkConsistency(parsed.data), ...findUnservable(parsed.data)];
  if (issues.length) return { ok: false, issues };
  return { ok: true, config: deepFreeze(parsed.data) };
}

/**
 * validateConfig for an edit of a validated config (`before`): resources that are the
 * very objects of `before` (copy-on-write edits share them) were validated already, so
 * only the others go through their schemas; the whole-config consistency and servability
 * checks always run. Same result as validateConfig(after), at the cost of what changed: a route edit
 * in a config of thousands of routes parses one route.
 */
export function validateEdit(before: TConfig, after: TConfig): TValidationResult {
  const issues: TConfigIssue[] = [];
  const known = new Set<unknown>([...before.listeners, ...before.routeConfigs, ...before.clusters, ...before.secrets, ...before.rateLimitPolicies]);
  for (const rc of before.routeConfigs) for (const vh of rc.virtualHosts) for (const r of vh.routes) known.add(r);
  const check = <T>(schema: z.ZodType<T>, value: unknown, path: (string | number)[]): T => {
    if (known.has(value)) return value as T;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    issues.push(...issuesFromZod(parsed.error, path));
    return value as T;
  };
  const config: TConfig = {
    listeners: after.listeners.map((l, i) => check(ZListener, l, ["listeners", i])),
    routeConfigs: after.routeConfigs.map((rc, i) => {
      if (known.has(rc)) return rc;
      // The route config without its routes through its schema, then each new route through ZRoute.
      const shell = check(ZRouteConfig, { ...rc, virtualHosts: rc.virtualHosts.map((vh) => ({ ...vh, routes: [] })) }, ["routeConfigs", i]);
      return {
        ...shell,
        virtualHosts: shell.virtualHosts.map((vh, j) => ({
          ...vh,
          routes: (rc.virtualHosts[j]?.routes ?? []).map((r, k) => check(ZRoute, r, ["routeConfigs", i, "virtualHosts", j, "routes", k])),
        })),
      };
    }),
    clusters: after.clusters.map((c, i) => check(ZCluster, c, ["clusters", i])),
    secrets: after.secrets.map((s, i) => check(ZSecret, s, ["secrets", i])),
    rateLimitPolicies: after.rateLimitPolicies.map((p, i) => check(ZRateLimitPolicy, p, ["rateLimitPolicies", i])),
  };
  if (issues.length) return { ok: false, issues };
  const inconsistent = [...checkConsistency(config), ...findUnservable(config)];
  if (inconsistent.length) return { ok: false, issues: inconsistent };
  return { ok: true, config: deepFreeze(config) };
}

/** Like validateConfig, but throws ConfigValidationError with every issue. */
export function parseConfig(input: unknown): TConfig {
  const result = validateConfig(input);
  if (!result.ok) throw new ConfigValidationError(result.issues);
  return result.config;
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
