import { isIP } from "node:net";
import { isCidr, type TConfig, type TConfigIssue } from "@switchyard/config-model";
import { compileAddressSet } from "../listener/address-set.ts";

/**
 * The operator's allow-list of where a config may make this proxy connect
 * (`--outbound-allow CIDR|host`, repeatable; env SWITCHYARD_OUTBOUND_ALLOW, comma-separated).
 * Without it every destination is allowed, as before. With it, an editor cannot point a
 * cluster, a health check (its endpoints), a JWKS URL, a Consul address or a DNS resolver
 * at the metadata service or an internal admin API (issue #20): a config naming one is
 * refused (NACK, path and all), and endpoints that discovery (DNS, Consul, Kubernetes,
 * eds) returns outside the list are dropped. docs/outbound-calls.md lists every call.
 */
export type TOutboundAllow = {
  /** An IP address (CIDR entries) or a host name (exact entries, or "*.suffix"). */
  allows(host: string): boolean;
  readonly entries: readonly string[];
};

export function parseOutboundAllow(entries: readonly string[]): TOutboundAllow | null {
  if (!entries.length) return null;
  const cidrs = entries.filter(isCidr);
  const hosts = entries.filter((e) => !isCidr(e)).map((e) => e.toLowerCase());
  const inCidrs = compileAddressSet(cidrs);
  const nameAllowed = (name: string) => hosts.some((h) => (h.startsWith("*.") ? name.endsWith(h.slice(1)) : name === h));
  return {
    entries,
    allows: (raw) => {
      const host = raw.replace(/^\[|\]$/g, "").toLowerCase();
      return isIP(host) ? inCidrs(host) : nameAllowed(host);
    },
  };
}

/** Host of a URL (without brackets), or null when it does not parse. */
function urlHost(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}

/** Every destination a config names that the allow-list refuses, with its path. DNS names of strictDns/logicalDns clusters are checked once resolved. */
export function outboundIssues(config: TConfig, allow: TOutboundAllow): TConfigIssue[] {
  const issues: TConfigIssue[] = [];
  const check = (path: string, host: string | null, what: string) => {
    if (host !== null && !allow.allows(host)) issues.push({ path, message: `${what} ${host} is not in this proxy's --outbound-allow (${allow.entries.join(", ")})` });
  };
  config.clusters.forEach((c, i) => {
    const dns = c.discovery === "strictDns" || c.discovery === "logicalDns";
    c.endpoints.forEach((e, j) => {
      if (!dns || isIP(e.address)) check(`clusters[${i}].endpoints[${j}].address`, e.address, "endpoint");
    });
    if (c.consul?.address) check(`clusters[${i}].consul.address`, urlHost(c.consul.address), "Consul address");
    c.dnsResolvers.forEach((r, j) => check(`clusters[${i}].dnsResolvers[${j}]`, r.slice(0, r.lastIndexOf(":")), "DNS resolver"));
  });
  config.listeners.forEach((l, i) =>
    l.httpFilters.forEach((f, j) => {
      if (f.type === "jwtAuthn" && f.jwks.remote) check(`listeners[${i}].httpFilters[${j}].jwks.remote.url`, urlHost(f.jwks.remote.url), "JWKS URL host");
    }),
  );
  return issues;
}
