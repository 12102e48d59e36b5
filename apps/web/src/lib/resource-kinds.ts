import { REDACTED, ZCaBundleSecret, ZCluster, ZListener, ZRateLimitPolicy, ZRouteConfig, ZTlsCertificateSecret, ZWasmModuleFields } from "@switchyard/config-model";
import { z } from "zod";

/**
 * ZSecret as the console edits it: a tlsCertificate secret's privateKey and a wasmModule
 * secret's data may be "" or "[redacted]", meaning "keep the stored one" (the browser never
 * receives them). The module's sha256 is checked against its bytes on the server.
 */
export const ZSecretInput = z.discriminatedUnion("type", [
  ZTlsCertificateSecret.extend({ privateKey: z.union([z.literal(""), z.literal(REDACTED), ZTlsCertificateSecret.shape.privateKey]) }),
  ZCaBundleSecret,
  ZWasmModuleFields.extend({ data: z.union([z.literal(""), z.literal(REDACTED), ZWasmModuleFields.shape.data]) }),
]);

/**
 * The config kinds the console edits as whole documents (one resource = one YAML
 * document): the same zod schemas validate in the browser (before sending) and on the
 * server (tRPC input, then the whole config). Client-safe: no server imports.
 */
export const RESOURCE_KINDS = {
  listeners: {
    label: "Listener",
    /** In buttons and messages: "Save listener". */
    noun: "listener",
    plural: "Listeners",
    href: "/listeners",
    schema: ZListener,
    blurb: "Sockets the proxy accepts connections on, and the route config or TCP cluster they serve.",
    template: "name: public\naddress: 0.0.0.0\nport: 8080\nprotocol: http\nrouteConfig: main\n",
  },
  routeConfigs: {
    label: "Route config",
    /** In buttons and messages: "Save route config". */
    noun: "route config",
    plural: "Route configs",
    href: "/route-configs",
    schema: ZRouteConfig,
    blurb: "Virtual hosts (picked by Host: exact, then wildcard suffix, prefix, then *) and their routes in match order.",
    template: "name: main\nvirtualHosts:\n  - name: all\n    domains: [\"*\"]\n    routes: []\n",
  },
  clusters: {
    label: "Cluster",
    /** In buttons and messages: "Save cluster". */
    noun: "cluster",
    plural: "Clusters",
    href: "/clusters",
    schema: ZCluster,
    blurb: "Upstream services: how their endpoints are found, balanced, health-checked and protected.",
    template: "name: users\ndiscovery: static\nendpoints:\n  - address: 127.0.0.1\n    port: 9101\n",
  },
  secrets: {
    label: "Secret",
    /** In buttons and messages: "Save secret". */
    noun: "secret",
    plural: "Secrets",
    href: "/secrets",
    schema: ZSecretInput,
    blurb: "Certificates with their private keys (write-only) and CA bundles, referenced by listeners and clusters; proxy-wasm modules (write-only), referenced by wasm filters.",
    template: "name: site-cert\ntype: tlsCertificate\ncertificate: |\n  -----BEGIN CERTIFICATE-----\n  ...\n  -----END CERTIFICATE-----\nprivateKey: |\n  -----BEGIN PRIVATE KEY-----\n  ...\n  -----END PRIVATE KEY-----\n",
  },
  rateLimitPolicies: {
    label: "Rate-limit policy",
    /** In buttons and messages: "Save rate-limit policy". */
    noun: "rate-limit policy",
    plural: "Rate-limit policies",
    href: "/rate-limits",
    schema: ZRateLimitPolicy,
    blurb: "Token buckets referenced by virtual hosts and routes (local: per proxy process).",
    template: "name: per-ip\nscope: local\nrequests: 100\nper: second\nkey: remoteAddress\n",
  },
} as const;

export type TResourceKind = keyof typeof RESOURCE_KINDS;
export const RESOURCE_KIND_NAMES = Object.keys(RESOURCE_KINDS) as TResourceKind[];
