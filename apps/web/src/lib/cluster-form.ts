import { formatPath, ZCircuitBreakers, ZCluster, ZHealthCheck, ZOutlierDetection, type TCluster } from "@switchyard/config-model";
import type { z } from "zod";
import { choices } from "./format.ts";
import type { TFieldIssue } from "./issues.ts";

export type TClusterInput = z.input<typeof ZCluster>;

/**
 * Every default the form shows, read from the config-model schemas (a minimal object
 * parsed, so the schema fills them in) rather than written down a second time.
 */
export const CLUSTER_DEFAULTS = {
  cluster: ZCluster.parse({ name: "x" }),
  healthCheck: ZHealthCheck.parse({}),
  outlier: ZOutlierDetection.parse({}),
  breakers: ZCircuitBreakers.parse({}),
  kubernetesNamespace: ZCluster.parse({ name: "x", discovery: "kubernetes", kubernetes: { service: "s", port: 1 } }).kubernetes!.namespace,
};

export type TEndpointRow = { key: number; address: string; port: string; weight: string };
type TNumbers<K extends string> = Record<K, string>;

export type TClusterForm = {
  name: string;
  discovery: TCluster["discovery"];
  lbPolicy: TCluster["lbPolicy"];
  protocol: TCluster["protocol"];
  connectTimeoutMs: string;
  idleTimeoutMs: string;
  panicThresholdPercent: string;
  ringHashMinimumRingSize: string;
  endpoints: TEndpointRow[];
  /** comma-separated host:port */
  dnsResolvers: string;
  dnsRefreshMs: string;
  kubernetes: { namespace: string; service: string; port: string };
  consul: { service: string; tag: string; datacenter: string; address: string };
  tlsEnabled: boolean;
  tls: { sni: string; caSecret: string; clientCertificate: string };
  healthCheckEnabled: boolean;
  healthCheck: { type: "http" | "tcp" | "grpc"; path: string; host: string; grpcServiceName: string; expectedStatuses: string } & TNumbers<
    "intervalMs" | "intervalJitterMs" | "timeoutMs" | "unhealthyThreshold" | "healthyThreshold"
  >;
  outlierEnabled: boolean;
  outlier: TNumbers<"consecutive5xx" | "consecutiveGatewayFailure" | "intervalMs" | "baseEjectionTimeMs" | "maxEjectionTimeMs" | "maxEjectionPercent">;
  breakersEnabled: boolean;
  breakers: TNumbers<"maxConnections" | "maxPendingRequests" | "maxRequests" | "maxRetries">;
};

export const LB_POLICIES = choices<TCluster["lbPolicy"]>({ roundRobin: "Round robin", leastRequest: "Least request", random: "Random", ringHash: "Ring hash", maglev: "Maglev" });

export const DISCOVERY = choices<TCluster["discovery"]>({
  static: "Static addresses",
  strictDns: "Strict DNS (every address of each name)",
  logicalDns: "Logical DNS (first address of one name)",
  eds: "EDS (endpoints pushed from the console)",
  kubernetes: "Kubernetes Service (EndpointSlices)",
  consul: "Consul service",
});

let nextKey = 1;
/** Rows need a stable React key that survives removing a row above them. */
export function endpointRow(address = "", port = "", weight = "1"): TEndpointRow {
  return { key: nextKey++, address, port, weight };
}

const blankNumbers = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, ""])) as TNumbers<K>;
const HC_NUMBERS = ["intervalMs", "intervalJitterMs", "timeoutMs", "unhealthyThreshold", "healthyThreshold"] as const;
const OUTLIER_NUMBERS = ["consecutive5xx", "consecutiveGatewayFailure", "intervalMs", "baseEjectionTimeMs", "maxEjectionTimeMs", "maxEjectionPercent"] as const;
const BREAKER_NUMBERS = ["maxConnections", "maxPendingRequests", "maxRequests", "maxRetries"] as const;

export function emptyClusterForm(): TClusterForm {
  const d = CLUSTER_DEFAULTS.cluster;
  return {
    name: "",
    discovery: d.discovery,
    lbPolicy: d.lbPolicy,
    protocol: d.protocol,
    connectTimeoutMs: "",
    idleTimeoutMs: "",
    panicThresholdPercent: "",
    ringHashMinimumRingSize: "",
    endpoints: [endpointRow("127.0.0.1")],
    dnsResolvers: "",
    dnsRefreshMs: "",
    kubernetes: { namespace: "", service: "", port: "" },
    consul: { service: "", tag: "", datacenter: "", address: "" },
    tlsEnabled: false,
    tls: { sni: "", caSecret: "", clientCertificate: "" },
    healthCheckEnabled: false,
    healthCheck: { type: CLUSTER_DEFAULTS.healthCheck.type, path: "", host: "", grpcServiceName: "", expectedStatuses: "", ...blankNumbers(HC_NUMBERS) },
    outlierEnabled: false,
    outlier: blankNumbers(OUTLIER_NUMBERS),
    breakersEnabled: false,
    breakers: blankNumbers(BREAKER_NUMBERS),
  };
}

const numbersOf = <K extends string>(keys: readonly K[], o: Record<K, number> | undefined) =>
  Object.fromEntries(keys.map((k) => [k, o ? String(o[k]) : ""])) as TNumbers<K>;

/** "200-399, 404" <-> [[200, 399], [404, 404]] */
export function statusRangesText(ranges: readonly (readonly [number, number])[]): string {
  return ranges.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(", ");
}
function parseStatusRanges(s: string): [number, number][] | undefined {
  const parts = s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  if (!parts.length) return undefined;
  return parts.map((p) => {
    const [a, b] = p.split("-").map((x) => Number(x.trim()));
    return [a ?? Number.NaN, b ?? a ?? Number.NaN];
  });
}

export function clusterFormOf(c: TCluster): TClusterForm {
  const empty = emptyClusterForm();
  return {
    ...empty,
    name: c.name,
    discovery: c.discovery,
    lbPolicy: c.lbPolicy,
    protocol: c.protocol,
    connectTimeoutMs: String(c.connectTimeoutMs),
    idleTimeoutMs: String(c.idleTimeoutMs),
    panicThresholdPercent: String(c.panicThresholdPercent),
    ringHashMinimumRingSize: String(c.ringHashMinimumRingSize),
    endpoints: c.endpoints.map((e) => endpointRow(e.address, String(e.port), String(e.weight))),
    dnsResolvers: c.dnsResolvers.join(", "),
    dnsRefreshMs: String(c.dnsRefreshMs),
    kubernetes: c.kubernetes ? { namespace: c.kubernetes.namespace, service: c.kubernetes.service, port: String(c.kubernetes.port) } : empty.kubernetes,
    consul: c.consul ? { service: c.consul.service, tag: c.consul.tag ?? "", datacenter: c.consul.datacenter ?? "", address: c.consul.address ?? "" } : empty.consul,
    tlsEnabled: !!c.tls,
    tls: { sni: c.tls?.sni ?? "", caSecret: c.tls?.caSecret ?? "", clientCertificate: c.tls?.clientCertificate ?? "" },
    healthCheckEnabled: !!c.healthCheck,
    healthCheck: c.healthCheck
      ? {
          type: c.healthCheck.type,
          path: c.healthCheck.path,
          host: c.healthCheck.host ?? "",
          grpcServiceName: c.healthCheck.grpcServiceName,
          expectedStatuses: statusRangesText(c.healthCheck.expectedStatuses),
          ...numbersOf(HC_NUMBERS, c.healthCheck),
        }
      : empty.healthCheck,
    outlierEnabled: !!c.outlierDetection,
    outlier: numbersOf(OUTLIER_NUMBERS, c.outlierDetection),
    breakersEnabled: !!c.circuitBreakers,
    breakers: numbersOf(BREAKER_NUMBERS, c.circuitBreakers),
  };
}

const text = (s: string) => (s.trim() === "" ? undefined : s.trim());
const num = (s: string) => (s.trim() === "" ? undefined : Number(s));
const numbers = <K extends string>(o: TNumbers<K>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, num(v as string)])) as Record<K, number | undefined>;

/** The cluster sent to the server, built from the form alone (it covers every field of ZCluster). */
export function buildCluster(form: TClusterForm): TClusterInput {
  const d = form.discovery;
  const usesEndpoints = d === "static" || d === "strictDns" || d === "logicalDns" || d === "eds";
  const usesDns = d === "strictDns" || d === "logicalDns";
  const port = form.kubernetes.port.trim();
  return {
    name: form.name.trim(),
    discovery: d,
    lbPolicy: form.lbPolicy,
    protocol: form.protocol,
    connectTimeoutMs: num(form.connectTimeoutMs),
    idleTimeoutMs: num(form.idleTimeoutMs),
    panicThresholdPercent: num(form.panicThresholdPercent),
    ringHashMinimumRingSize: num(form.ringHashMinimumRingSize),
    endpoints: usesEndpoints ? form.endpoints.map((e) => ({ address: e.address.trim(), port: num(e.port) as number, weight: num(e.weight) })) : [],
    dnsResolvers: usesDns
      ? form.dnsResolvers
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean)
      : [],
    dnsRefreshMs: usesDns ? num(form.dnsRefreshMs) : undefined,
    kubernetes:
      d === "kubernetes"
        ? { namespace: text(form.kubernetes.namespace), service: form.kubernetes.service.trim(), port: /^\d+$/.test(port) ? Number(port) : port }
        : undefined,
    consul:
      d === "consul"
        ? { service: form.consul.service.trim(), tag: text(form.consul.tag), datacenter: text(form.consul.datacenter), address: text(form.consul.address) }
        : undefined,
    tls: form.tlsEnabled ? { sni: text(form.tls.sni), caSecret: text(form.tls.caSecret), clientCertificate: text(form.tls.clientCertificate) } : undefined,
    healthCheck: form.healthCheckEnabled
      ? {
          type: form.healthCheck.type,
          path: text(form.healthCheck.path),
          host: text(form.healthCheck.host),
          grpcServiceName: text(form.healthCheck.grpcServiceName),
          expectedStatuses: parseStatusRanges(form.healthCheck.expectedStatuses),
          ...numbers({
            intervalMs: form.healthCheck.intervalMs,
            intervalJitterMs: form.healthCheck.intervalJitterMs,
            timeoutMs: form.healthCheck.timeoutMs,
            unhealthyThreshold: form.healthCheck.unhealthyThreshold,
            healthyThreshold: form.healthCheck.healthyThreshold,
          }),
        }
      : undefined,
    outlierDetection: form.outlierEnabled ? numbers(form.outlier) : undefined,
    circuitBreakers: form.breakersEnabled ? numbers(form.breakers) : undefined,
  } as TClusterInput;
}

/** The browser's check with the server's schema (ZCluster); paths relative to the cluster. */
export function checkCluster(cluster: TClusterInput): TFieldIssue[] {
  const r = ZCluster.safeParse(cluster);
  if (r.success) return [];
  return r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message, field: formatPath(i.path) }));
}
