import type { TCluster, ZCluster } from "@switchyard/config-model";
import type { z } from "zod";

export type TClusterInput = z.input<typeof ZCluster>;

export type TEndpointRow = { key: number; address: string; port: string; weight: string };

export type TClusterForm = {
  name: string;
  discovery: "static" | "strictDns" | "logicalDns";
  lbPolicy: TCluster["lbPolicy"];
  protocol: TCluster["protocol"];
  connectTimeoutMs: string;
  endpoints: TEndpointRow[];
};

export const LB_POLICIES: { value: TCluster["lbPolicy"]; label: string }[] = [
  { value: "roundRobin", label: "Round robin" },
  { value: "leastRequest", label: "Least request" },
  { value: "random", label: "Random" },
  { value: "ringHash", label: "Ring hash" },
  { value: "maglev", label: "Maglev" },
];

let nextKey = 1;
/** Rows need a stable React key that survives removing a row above them. */
export function endpointRow(address = "", port = "", weight = "1"): TEndpointRow {
  return { key: nextKey++, address, port, weight };
}

export function emptyClusterForm(): TClusterForm {
  return { name: "", discovery: "static", lbPolicy: "roundRobin", protocol: "http1", connectTimeoutMs: "5000", endpoints: [endpointRow("127.0.0.1")] };
}

export function clusterFormOf(c: TCluster): TClusterForm {
  return {
    name: c.name,
    discovery: c.discovery === "strictDns" || c.discovery === "logicalDns" ? c.discovery : "static",
    lbPolicy: c.lbPolicy,
    protocol: c.protocol,
    connectTimeoutMs: String(c.connectTimeoutMs),
    endpoints: c.endpoints.map((e) => endpointRow(e.address, String(e.port), String(e.weight))),
  };
}

const num = (s: string) => (s.trim() === "" ? undefined : Number(s));

/** The cluster sent to the server; settings without an input here are kept from `base`. */
export function buildCluster(form: TClusterForm, base?: TCluster): TClusterInput {
  return {
    ...base,
    name: form.name.trim(),
    discovery: form.discovery,
    lbPolicy: form.lbPolicy,
    protocol: form.protocol,
    connectTimeoutMs: num(form.connectTimeoutMs),
    endpoints: form.endpoints.map((e) => ({ address: e.address.trim(), port: num(e.port) as number, weight: num(e.weight) })),
  };
}
