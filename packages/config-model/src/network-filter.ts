import { z } from "zod";
import { ZDurationMs, ZName } from "./common.ts";

/**
 * Network filters: the ordered chain of a `tcp` listener (Envoy's network filter chain).
 * They see connections and bytes, not HTTP requests; the tcp proxy (`tcp`) is the
 * terminal and always runs last. Built-ins:
 *   rbac       allow or deny a connection by its source address (Envoy's network RBAC);
 *   sniRouter  reads the TLS ClientHello without terminating TLS and picks the cluster by
 *              its server name (SNI): TLS passthrough (Envoy's tls_inspector + filter
 *              chain match on server_names, as one filter).
 */

/** `name`: unique in the chain; metrics and logs name the filter by it. Default: the filter's type. */
const ZNetworkFilterName = ZName.optional();

export const ZNetworkRbacPrincipal = z.union([
  z.strictObject({ any: z.literal(true) }),
  /** CIDR such as 10.0.0.0/8 or ::1/128, matched against the connection's peer address. */
  z.strictObject({ sourceIp: z.string().min(1) }),
]);

export const ZNetworkRbacRule = z.strictObject({
  /** true = allow when matched, false = deny when matched. */
  allow: z.boolean(),
  /** Any one must match; default: any principal. */
  principals: z.array(ZNetworkRbacPrincipal).default([{ any: true }]),
});

/** Network RBAC: on connect, the first matching rule decides; no match = the connection is refused (closed at once). */
export const ZNetworkRbacFilter = z.strictObject({
  type: z.literal("rbac"),
  name: ZNetworkFilterName,
  rules: z.array(ZNetworkRbacRule).min(1, "list at least one rule"),
});

/**
 * A server name an SNI route serves: an exact host name (`db.example.com`) or a suffix
 * wildcard (`*.example.com`, matching `a.example.com` and `a.b.example.com`, not
 * `example.com`). Compared without regard to case.
 */
export const ZServerName = z
  .string()
  .min(1, "must not be empty")
  .max(253, "must be at most 253 characters")
  .regex(/^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*$/, 'must be a host name or "*." followed by one (e.g. db.example.com, *.example.com)');

export const ZSniRoute = z.strictObject({
  /** Label in metrics (`switchyard_sni_routed_total{route}`); default: the cluster's name. */
  name: ZName.optional(),
  /** Exact names win over wildcards; among wildcards the longest suffix wins; a name appears in one route only. */
  serverNames: z.array(ZServerName).min(1, "list at least one server name"),
  cluster: ZName,
});

/**
 * SNI router (TLS passthrough): holds the connection until the ClientHello has arrived
 * (over as many TCP segments and TLS records as it takes), reads its server_name, and
 * sends the connection (the ClientHello included, unchanged) to the matching route's
 * cluster. The TLS session is between the client and the upstream; the proxy never holds
 * a key. Without SNI, with a name no route serves, or when the first byte is not a TLS
 * handshake, the connection goes to `defaultCluster`, or is closed when there is none.
 */
export const ZSniRouterFilter = z.strictObject({
  type: z.literal("sniRouter"),
  name: ZNetworkFilterName,
  /** Default none (every connection goes to defaultCluster). */
  routes: z.array(ZSniRoute).default([]),
  /** Cluster for connections no route matches; default none (they are closed). */
  defaultCluster: ZName.optional(),
  /** Time allowed for the whole ClientHello to arrive; default 15000 (Envoy's listener_filters_timeout). */
  helloTimeoutMs: ZDurationMs.min(1, "must be >= 1").default(15_000),
  /** Largest ClientHello read; a larger one closes the connection. Default 65536 (Envoy's max_client_hello_size). */
  maxHelloBytes: z.number().int().min(512, "must be >= 512").max(65_536, "must be <= 65536").default(65_536),
});

export const ZNetworkFilter = z.discriminatedUnion("type", [ZNetworkRbacFilter, ZSniRouterFilter]);

/** A network filter's name in its chain: `name`, else its type. */
export function networkFilterName(f: { readonly type: string; readonly name?: string | undefined }): string {
  return f.name ?? f.type;
}

/** An SNI route's metrics label: `name`, else its cluster. */
export function sniRouteName(r: { readonly name?: string | undefined; readonly cluster: string }): string {
  return r.name ?? r.cluster;
}

export type TNetworkFilter = z.infer<typeof ZNetworkFilter>;
export type TNetworkRbacFilter = z.infer<typeof ZNetworkRbacFilter>;
export type TNetworkRbacPrincipal = z.infer<typeof ZNetworkRbacPrincipal>;
export type TSniRouterFilter = z.infer<typeof ZSniRouterFilter>;
export type TSniRoute = z.infer<typeof ZSniRoute>;
