import type { TNetworkRbacFilter } from "@switchyard/config-model";
import { compileAddressSet } from "../../../listener/address-set.ts";
import type { TNetworkFilter } from "../api.ts";

const DENIED = Object.freeze({ close: true as const, flag: "RBAC" });

/**
 * Network RBAC (config-model's ZNetworkRbacFilter): on connect, the first rule whose
 * principals match the peer address decides; no match = refused (closed, flag RBAC,
 * switchyard_tcp_connections_refused_total). Rules are compiled once per version.
 */
export function createNetworkRbacFilter(name: string, f: TNetworkRbacFilter): TNetworkFilter {
  const rules = f.rules.map((r) => {
    const any = r.principals.some((p) => "any" in p);
    const cidrs = r.principals.flatMap((p) => ("sourceIp" in p ? [p.sourceIp] : []));
    const has = compileAddressSet(cidrs);
    return { allow: r.allow, matches: (ip: string) => any || has(ip) };
  });
  return {
    name,
    onConnect(conn) {
      for (const r of rules) if (r.matches(conn.remoteAddress)) return r.allow ? undefined : DENIED;
      return DENIED;
    },
  };
}
