import type { TConfig } from "@switchyard/config-model";

export type TRefKind = "listeners" | "routeConfigs" | "clusters" | "secrets" | "rateLimitPolicies";

/**
 * Who refers to what, for the "used by" columns and to refuse deleting a referenced
 * object with the reason. Keys are `${kind}:${name}`; values describe each referrer.
 */
export function referencesOf(config: TConfig): Map<string, string[]> {
  const refs = new Map<string, string[]>();
  const add = (kind: TRefKind, name: string | undefined, by: string) => {
    if (name === undefined) return;
    const key = `${kind}:${name}`;
    const list = refs.get(key) ?? [];
    if (!list.includes(by)) list.push(by);
    refs.set(key, list);
  };
  for (const l of config.listeners) {
    add("routeConfigs", l.routeConfig, `listener ${l.name}`);
    add("clusters", l.tcp?.cluster, `listener ${l.name}`);
    for (const f of l.networkFilters ?? []) {
      if (f.type !== "sniRouter") continue;
      add("clusters", f.defaultCluster, `listener ${l.name}`);
      for (const r of f.routes) add("clusters", r.cluster, `listener ${l.name}`);
    }
    for (const c of l.tls?.certificates ?? []) add("secrets", c, `listener ${l.name}`);
    add("secrets", l.tls?.clientValidation?.caSecret, `listener ${l.name}`);
  }
  for (const rc of config.routeConfigs) {
    for (const vh of rc.virtualHosts) {
      add("rateLimitPolicies", vh.rateLimit, `virtual host ${rc.name}/${vh.name}`);
      for (const r of vh.routes) {
        const by = `route ${rc.name}/${vh.name}/${r.name}`;
        add("clusters", r.route?.cluster, by);
        for (const w of r.route?.weightedClusters ?? []) add("clusters", w.cluster, by);
        for (const m of r.route?.mirror ?? []) add("clusters", m.cluster, by);
        add("rateLimitPolicies", r.route?.rateLimit, by);
      }
    }
  }
  for (const c of config.clusters) {
    add("secrets", c.tls?.caSecret, `cluster ${c.name}`);
    add("secrets", c.tls?.clientCertificate, `cluster ${c.name}`);
  }
  return refs;
}

export function usedBy(config: TConfig, kind: TRefKind, name: string): string[] {
  return referencesOf(config).get(`${kind}:${name}`) ?? [];
}
