import { sniRouteName, type TSniRouterFilter } from "@switchyard/config-model";

/** A route as the filter uses it: the cluster to dial and the metrics label. */
export type TSniTarget = { readonly route: string; readonly cluster: string };

export type TSniRouterConfig = {
  /** Server name (lower case) -> exact route. */
  readonly exact: ReadonlyMap<string, TSniTarget>;
  /** "*.example.com" as ".example.com", longest first: the most specific wildcard wins. */
  readonly suffixes: readonly { readonly suffix: string; readonly target: TSniTarget }[];
  /** Connections no route matches; null = closed (flag NR). */
  readonly fallback: TSniTarget | null;
  readonly helloTimeoutMs: number;
  readonly maxHelloBytes: number;
};

/** Label of connections sent to defaultCluster in switchyard_sni_routed_total. */
export const DEFAULT_ROUTE_LABEL = "(default)";

/** Built once per config version (config-model checked names and clusters). */
export function compileSniRouter(f: TSniRouterFilter): TSniRouterConfig {
  const exact = new Map<string, TSniTarget>();
  const suffixes: { suffix: string; target: TSniTarget }[] = [];
  for (const r of f.routes) {
    const target = Object.freeze({ route: sniRouteName(r), cluster: r.cluster });
    for (const name of r.serverNames) {
      const n = name.toLowerCase();
      if (n.startsWith("*.")) suffixes.push({ suffix: n.slice(1), target });
      else exact.set(n, target);
    }
  }
  suffixes.sort((a, b) => b.suffix.length - a.suffix.length);
  return Object.freeze({
    exact,
    suffixes: Object.freeze(suffixes),
    fallback: f.defaultCluster !== undefined ? Object.freeze({ route: DEFAULT_ROUTE_LABEL, cluster: f.defaultCluster }) : null,
    helloTimeoutMs: f.helloTimeoutMs,
    maxHelloBytes: f.maxHelloBytes,
  });
}

/** Exact name, then the longest matching wildcard suffix (which needs at least one label before it). */
export function matchServerName(c: TSniRouterConfig, name: string): TSniTarget | null {
  const hit = c.exact.get(name);
  if (hit) return hit;
  for (const s of c.suffixes) if (name.length > s.suffix.length && name.endsWith(s.suffix)) return s.target;
  return null;
}
