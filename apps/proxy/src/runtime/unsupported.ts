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
    // The h2 pool dials the host name itself; logicalDns needs our per-connection resolver.
    what: "cluster protocol http2 with discovery logicalDns",
    find: (c) =>
      c.clusters.flatMap((cl, i): TPath[] => (cl.discovery === "logicalDns" && cl.protocol === "http2" ? [["clusters", i, "protocol"]] : [])),
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
