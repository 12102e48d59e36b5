import type { TConfig, TConfigIssue } from "@switchyard/config-model";

/**
 * Every config field this proxy build does not implement yet. A config that uses one is
 * REFUSED (NACK / file ignored) with the field's path, never half-applied or silently
 * ignored: a proxy that skips a rate limit or an mTLS requirement without saying so is
 * worse than one that refuses the config. Later issues shrink this list; keep it the
 * one place that knows, and keep apps/proxy/README.md in step.
 */
export const UNSUPPORTED_MESSAGE = "not supported yet by this proxy build";

type TPath = (string | number)[];
type TRule = { readonly what: string; readonly find: (config: TConfig) => TPath[] };

export const UNSUPPORTED_RULES: readonly TRule[] = [
  {
    what: "virtual host rateLimit",
    find: (c) =>
      c.routeConfigs.flatMap((rc, i) =>
        rc.virtualHosts.flatMap((vh, j): TPath[] => (vh.rateLimit !== undefined ? [["routeConfigs", i, "virtualHosts", j, "rateLimit"]] : [])),
      ),
  },
  {
    what: "route rateLimit, retryPolicy, mirror, hashPolicy, idleTimeoutMs",
    find: (c) => {
      const out: TPath[] = [];
      c.routeConfigs.forEach((rc, i) =>
        rc.virtualHosts.forEach((vh, j) =>
          vh.routes.forEach((r, k) => {
            const a = r.route;
            if (!a) return;
            const base: TPath = ["routeConfigs", i, "virtualHosts", j, "routes", k, "route"];
            if (a.rateLimit !== undefined) out.push([...base, "rateLimit"]);
            if (a.retryPolicy) out.push([...base, "retryPolicy"]);
            if (a.mirror.length) out.push([...base, "mirror"]);
            if (a.hashPolicy.length) out.push([...base, "hashPolicy"]);
            if (a.idleTimeoutMs !== 0) out.push([...base, "idleTimeoutMs"]);
          }),
        ),
      );
      return out;
    },
  },
  {
    // The h2 pool dials the host name itself; logicalDns needs our per-connection resolver.
    what: "cluster protocol http2 with discovery logicalDns",
    find: (c) =>
      c.clusters.flatMap((cl, i): TPath[] => (cl.discovery === "logicalDns" && cl.protocol === "http2" ? [["clusters", i, "protocol"]] : [])),
  },
  {
    what: "cluster lbPolicy ringHash / maglev",
    find: (c) =>
      c.clusters.flatMap((cl, i): TPath[] => (cl.lbPolicy === "ringHash" || cl.lbPolicy === "maglev" ? [["clusters", i, "lbPolicy"]] : [])),
  },
  {
    what: "cluster healthCheck, outlierDetection, circuitBreakers",
    find: (c) =>
      c.clusters.flatMap((cl, i) =>
        (["healthCheck", "outlierDetection", "circuitBreakers"] as const)
          .filter((k) => cl[k] !== undefined)
          .map((k): TPath => ["clusters", i, k]),
      ),
  },
  {
    what: "rateLimitPolicies (none is enforced yet)",
    find: (c) => c.rateLimitPolicies.map((_, i): TPath => ["rateLimitPolicies", i]),
  },
];

/** Issues for every unsupported field the config uses; empty when this build serves all of it. */
export function findUnsupported(config: TConfig): TConfigIssue[] {
  const issues: TConfigIssue[] = [];
  for (const rule of UNSUPPORTED_RULES) {
    for (const path of rule.find(config)) issues.push({ path: formatPath(path), message: UNSUPPORTED_MESSAGE });
  }
  return issues;
}

function formatPath(path: TPath): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? p : `.${p}`;
  return out;
}
