import type { z } from "zod";
import { ZCluster } from "./cluster.ts";
import { RESOURCE_KINDS, ZConfig, type TConfig, type TResourceKind } from "./config.ts";
import { checkConsistency } from "./consistency.ts";
import { ConfigValidationError, issuesFromZod, type TConfigIssue } from "./errors.ts";
import { ZListener } from "./listener.ts";
import { ZRateLimitPolicy } from "./rate-limit.ts";
import { ZRoute, ZRouteConfig, type TRouteConfig } from "./route.ts";
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
  const known = new Set<unknown>([...before.listeners, ...before.routeConfigs, ...before.clusters, ...before.secrets, ...before.rateLimitPolicies]);
  for (const rc of before.routeConfigs) for (const vh of rc.virtualHosts) for (const r of vh.routes) known.add(r);
  return validateByResource(after, { lookup: (_schema, value) => (known.has(value) ? value : undefined), learn: () => undefined, unchanged: (value) => known.has(value) });
}

/** The schemas a config is validated with one resource at a time (a route config's shell is the route config without its routes). */
export const RESOURCE_SCHEMAS = {
  listener: ZListener,
  routeConfig: ZRouteConfig,
  route: ZRoute,
  cluster: ZCluster,
  secret: ZSecret,
  rateLimitPolicy: ZRateLimitPolicy,
} as const satisfies Record<string, z.ZodType>;
export type TResourceSchema = keyof typeof RESOURCE_SCHEMAS;

/** Where validateByResource finds resources that were validated already (validateEdit: by identity; ValidationMemo: by content). */
export type TKnownResources = {
  /** The validated form of `value`, or undefined when it must go through its schema. */
  lookup(schema: TResourceSchema, value: unknown): unknown;
  /** `value` went through its schema and came out as `parsed`. */
  learn(schema: TResourceSchema, value: unknown, parsed: unknown): void;
  /** A route config that is, routes and all, one validated already (validateEdit's copy-on-write edits share them). */
  unchanged?: (routeConfig: unknown) => boolean;
  /** Why a config regex is refused; checkConsistency's own check when absent (see there). */
  regexProblem?: (source: string) => string | undefined;
};

/** Whether `input` has the config's top-level shape, so its resources can be validated one by one. */
export function isResourceShaped(input: unknown): input is Partial<Record<TResourceKind, unknown[]>> {
  if (!isPlainObject(input)) return false;
  for (const key of Object.keys(input)) {
    if (!(RESOURCE_KINDS as readonly string[]).includes(key)) return false;
    const v = input[key];
    if (v !== undefined && !Array.isArray(v)) return false;
  }
  return true;
}

/**
 * The schema of each resource on its own, through `known` (a route config's routes one
 * by one), then the whole-config checks. Issues carry their path in the whole config.
 * For the config's top-level shape and each resource this is what ZConfig does, so the
 * result is validateConfig's; only the order of several issues may differ.
 */
export function validateByResource(input: Partial<Record<TResourceKind, unknown[]>>, known: TKnownResources): TValidationResult {
  const issues: TConfigIssue[] = [];
  const check = (schema: TResourceSchema, value: unknown, path: (string | number)[]): unknown => {
    const found = known.lookup(schema, value);
    if (found !== undefined) return found;
    const parsed = RESOURCE_SCHEMAS[schema].safeParse(value);
    if (!parsed.success) {
      issues.push(...issuesFromZod(parsed.error, path));
      return value;
    }
    known.learn(schema, value, parsed.data);
    return parsed.data;
  };
  const each = (kind: TResourceKind, schema: TResourceSchema) => (input[kind] ?? []).map((v, i) => check(schema, v, [kind, i]));
  const config = {
    listeners: each("listeners", "listener"),
    routeConfigs: (input.routeConfigs ?? []).map((rc, i) => {
      if (known.unchanged?.(rc)) return rc;
      if (!hasSplittableRoutes(rc)) return check("routeConfig", rc, ["routeConfigs", i]);
      // The route config without its routes through its schema, then each route through ZRoute.
      const shell = check("routeConfig", { ...rc, virtualHosts: rc.virtualHosts.map((vh) => ({ ...vh, routes: [] })) }, ["routeConfigs", i]) as TRouteConfig;
      if (!Array.isArray(shell.virtualHosts)) return shell;
      return {
        ...shell,
        virtualHosts: shell.virtualHosts.map((vh, j) => ({
          ...vh,
          routes: (rc.virtualHosts[j]?.routes ?? []).map((r, k) => check("route", r, ["routeConfigs", i, "virtualHosts", j, "routes", k])),
        })),
      };
    }),
    clusters: each("clusters", "cluster"),
    secrets: each("secrets", "secret"),
    rateLimitPolicies: each("rateLimitPolicies", "rateLimitPolicy"),
  } as TConfig;
  if (issues.length) return { ok: false, issues };
  const inconsistent = [...checkConsistency(config, known.regexProblem ? { regexProblem: known.regexProblem } : {}), ...findUnservable(config)];
  if (inconsistent.length) return { ok: false, issues: inconsistent };
  return { ok: true, config: deepFreeze(config) };
}

type TSplittableRouteConfig = Record<string, unknown> & { virtualHosts: (Record<string, unknown> & { routes?: unknown[] })[] };

/** A route config whose virtual hosts are objects with a routes array (or none): its routes can be validated one by one. */
function hasSplittableRoutes(rc: unknown): rc is TSplittableRouteConfig {
  if (!isPlainObject(rc) || !Array.isArray(rc.virtualHosts)) return false;
  return rc.virtualHosts.every((vh) => isPlainObject(vh) && (vh.routes === undefined || Array.isArray(vh.routes)));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
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
