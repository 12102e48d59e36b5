import type { TConfig } from "./config.ts";
import { formatPath, type TConfigIssue } from "./errors.ts";
import type { THeaderMutation } from "./route.ts";
import { missingPlugin, pluginEntries, type TPluginInfo } from "./filters/plugin.ts";

/**
 * What the proxy would refuse at apply time although the schema and the references are
 * fine. It lives here, not in the proxy, so the console runs the very same check on every
 * write (a 422 with the path) instead of publishing a version every node NACKs.
 */

type TPath = (string | number)[];

/**
 * Values the proxy writes into requests and responses (header mutations, hostRewrite,
 * redirects, directResponse.contentType, CORS origins) must be valid HTTP field values
 * (RFC 9110 §5.5: no CR, LF, NUL or other controls but tab): node:http and undici throw on
 * every request using one, and a CR/LF would be header injection on a parser that does not.
 */
const INVALID_FIELD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
export const INVALID_HEADER_VALUE_MESSAGE = "must be a valid HTTP header value (no CR, LF, NUL or other control characters)";

export function findInvalidHeaderValues(config: TConfig): TConfigIssue[] {
  const issues: TConfigIssue[] = [];
  // The path is built only for a bad value: this runs over every route of every version.
  const check = (base: TPath, field: TPath, value: string | undefined) => {
    if (value !== undefined && INVALID_FIELD_VALUE.test(value)) issues.push({ path: formatPath([...base, ...field]), message: INVALID_HEADER_VALUE_MESSAGE });
  };
  const mutation = (base: TPath, field: string, m: THeaderMutation | undefined) => m?.add.forEach((a, i) => check(base, [field, "add", i, "value"], a.value));
  config.listeners.forEach((l, i) =>
    l.httpFilters.forEach((f, j) => {
      if (f.type === "cors") f.allowOrigins.forEach((o, k) => check(["listeners", i, "httpFilters", j, "allowOrigins"], [k], o));
    }),
  );
  config.routeConfigs.forEach((rc, i) =>
    rc.virtualHosts.forEach((vh, j) => {
      const vhPath = ["routeConfigs", i, "virtualHosts", j];
      mutation(vhPath, "requestHeaders", vh.requestHeaders);
      mutation(vhPath, "responseHeaders", vh.responseHeaders);
      vh.routes.forEach((r, k) => {
        const rPath = [...vhPath, "routes", k];
        mutation(rPath, "requestHeaders", r.requestHeaders);
        mutation(rPath, "responseHeaders", r.responseHeaders);
        if (r.route) {
          check(rPath, ["route", "hostRewrite"], r.route.hostRewrite);
          check(rPath, ["route", "prefixRewrite"], r.route.prefixRewrite);
        }
        if (r.redirect) {
          check(rPath, ["redirect", "hostRedirect"], r.redirect.hostRedirect);
          check(rPath, ["redirect", "pathRedirect"], r.redirect.pathRedirect);
          check(rPath, ["redirect", "prefixRewrite"], r.redirect.prefixRewrite);
        }
        check(rPath, ["directResponse", "contentType"], r.directResponse?.contentType);
      });
    }),
  );
  return issues;
}

/**
 * Combinations the proxy does not implement yet. A config that uses one is refused with
 * the field's path, never half-applied or silently ignored: a proxy that skips a rate
 * limit or an mTLS requirement without saying so is worse than one that refuses the
 * config. Later issues shrink this list; keep it the one place that knows, and keep
 * apps/proxy/README.md in step.
 */
export const UNSUPPORTED_MESSAGE = "not supported yet by this proxy build";

type TUnsupportedRule = { readonly what: string; readonly find: (config: TConfig) => TPath[] };

export const UNSUPPORTED_RULES: readonly TUnsupportedRule[] = [
  {
    // The h2 pool dials the host name itself; logicalDns needs our per-connection resolver.
    what: "cluster protocol http2 with discovery logicalDns",
    find: (c) => c.clusters.flatMap((cl, i): TPath[] => (cl.discovery === "logicalDns" && cl.protocol === "http2" ? [["clusters", i, "protocol"]] : [])),
  },
];

/** Issues for every unsupported combination the config uses; empty when the proxy serves all of it. */
export function findUnsupported(config: TConfig): TConfigIssue[] {
  return UNSUPPORTED_RULES.flatMap((rule) => rule.find(config).map((path) => ({ path: formatPath(path), message: UNSUPPORTED_MESSAGE })));
}

/** What a proxy process can enforce beyond the config itself. */
export type TProxyCapabilities = {
  /** The proxy has a Redis for `scope: global` rate limits (`--redis URL`). */
  redis: boolean;
  /** Plugin modules the proxy may load (`--plugin`); undefined = not known (not checked here). */
  plugins?: readonly TPluginInfo[];
};

export const NEEDS_REDIS_MESSAGE = "global rate limits need Redis: start the proxy with --redis URL (or SWITCHYARD_REDIS_URL)";

/**
 * Policies a proxy with these capabilities cannot enforce. The proxy checks itself; the
 * console checks the nodes it knows (they announce their capabilities in hello) before
 * it publishes to them.
 */
export function findUnenforceable(config: TConfig, capabilities: TProxyCapabilities): TConfigIssue[] {
  const redis = capabilities.redis
    ? []
    : config.rateLimitPolicies.flatMap((p, i) => (p.scope === "global" ? [{ path: formatPath(["rateLimitPolicies", i, "scope"]), message: NEEDS_REDIS_MESSAGE }] : []));
  const plugins = capabilities.plugins;
  if (!plugins) return redis;
  return [
    ...redis,
    ...pluginEntries(config).flatMap(({ entry, path }) => {
      const missing = missingPlugin(entry, plugins);
      return missing ? [{ path: formatPath([...path, missing.field]), message: missing.message }] : [];
    }),
  ];
}

/** Everything the proxy refuses that depends on nothing but the config (run by validateConfig / validateEdit). */
export function findUnservable(config: TConfig): TConfigIssue[] {
  return [...findInvalidHeaderValues(config), ...findUnsupported(config)];
}
