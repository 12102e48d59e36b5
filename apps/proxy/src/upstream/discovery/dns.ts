import { isIP } from "node:net";
import { Resolver, lookup } from "node:dns/promises";
import type { TCluster, TEndpoint } from "@switchyard/config-model";
import type { TDiscoverySink, TDiscoverySource } from "./types.ts";

/**
 * strictDns and logicalDns (Envoy's cluster types of the same names).
 *
 * strictDns: every A and AAAA record of every listed host name is an endpoint (with that
 * entry's port and weight). Re-resolved every `dnsRefreshMs` (default 5000), sooner when
 * the answers' smallest TTL is lower (floor MIN_REFRESH_MS). A failed round keeps the
 * last endpoints of that name and is counted; so does an answer with no records (a name
 * that vanishes from DNS is more often an outage than a scale-to-zero).
 *
 * logicalDns: one logical endpoint (the host name); each NEW upstream connection dials
 * the first address of the latest answer, existing connections stay where they are.
 *
 * `dnsResolvers` set: asked directly with node:dns Resolver (c-ares, real TTLs). Unset:
 * the system's resolution (getaddrinfo: /etc/hosts, then resolv.conf), which gives no
 * TTL, so the interval alone applies.
 */

/** Never re-resolve faster than this, whatever the TTL says. */
const MIN_REFRESH_MS = 100;
/** Per-query timeout and tries of the Resolver (c-ares defaults are 5 s x 4). */
const QUERY_TIMEOUT_MS = 2_000;
const QUERY_TRIES = 2;

type TAnswer = { addresses: string[]; ttlMs: number | null };

export function createDnsSource(cluster: TCluster, sink: TDiscoverySink): TDiscoverySource {
  const resolve = makeResolve(cluster.dnsResolvers);
  const names = cluster.endpoints;
  /** Last good addresses per entry index, kept across failed rounds. */
  const last: (string[] | null)[] = names.map(() => null);
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  /** logicalDns: where new connections go. */
  let current: string | null = null;

  const describe = () =>
    `${cluster.discovery} ${names.map((n) => `${n.address}:${n.port}`).join(", ")} (${cluster.dnsResolvers.length ? cluster.dnsResolvers.join(", ") : "system resolver"})`;

  async function round(): Promise<void> {
    const answers = await Promise.all(names.map((n) => resolve(n.address).then((a) => a, (err: unknown) => errorText(err))));
    if (stopped) return;
    let minTtl: number | null = null;
    const errors: string[] = [];
    answers.forEach((a, i) => {
      const name = names[i] as TEndpoint;
      if (typeof a === "string") errors.push(`${name.address}: ${a}`);
      else {
        last[i] = a.addresses;
        if (a.ttlMs !== null && a.ttlMs > 0) minTtl = Math.min(minTtl ?? Infinity, a.ttlMs);
      }
    });
    // Publish when any name answered (names that failed contribute their last addresses);
    // then report the failures, so a partial failure still shows as the cluster's error.
    if (errors.length < names.length) {
      if (cluster.discovery === "logicalDns") {
        const first = last[0]?.[0] ?? null;
        if (first !== null && first !== current) {
          sink.log("logical_dns_address", { cluster: cluster.name, host: names[0]?.address, address: first, previous: current });
          current = first;
        }
        const n = names[0] as TEndpoint;
        if (current !== null) sink.update([{ address: n.address, port: n.port, weight: n.weight }]);
      } else {
        const endpoints: TEndpoint[] = [];
        last.forEach((addrs, i) => {
          const n = names[i] as TEndpoint;
          for (const address of addrs ?? []) endpoints.push({ address, port: n.port, weight: n.weight });
        });
        sink.update(endpoints);
      }
    }
    if (errors.length) sink.fail(errors.join("; "));
    const delay = Math.max(MIN_REFRESH_MS, Math.min(cluster.dnsRefreshMs, minTtl ?? Infinity));
    timer = setTimeout(() => void round(), delay);
    timer.unref();
  }

  return {
    describe,
    start: () => round(),
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    ...(cluster.discovery === "logicalDns"
      ? {
          dialAddress: () => {
            if (current === null) throw new Error(`${names[0]?.address}: not resolved yet`);
            return current;
          },
        }
      : {}),
  };
}

/** A function answering the A + AAAA addresses of a name (IP literals answer themselves). */
function makeResolve(servers: readonly string[]): (name: string) => Promise<TAnswer> {
  if (servers.length === 0) {
    return async (name) => {
      if (isIP(name)) return { addresses: [name], ttlMs: null };
      const all = await lookup(name, { all: true, order: "ipv4first" });
      return { addresses: all.map((a) => a.address), ttlMs: null };
    };
  }
  const resolver = new Resolver({ timeout: QUERY_TIMEOUT_MS, tries: QUERY_TRIES });
  resolver.setServers([...servers]);
  return async (name) => {
    if (isIP(name)) return { addresses: [name], ttlMs: null };
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(name, { ttl: true }), resolver.resolve6(name, { ttl: true })]);
    const records = [...(v4.status === "fulfilled" ? v4.value : []), ...(v6.status === "fulfilled" ? v6.value : [])];
    if (records.length === 0) {
      // Both failed or both empty: report the more telling error (ENOTFOUND over ENODATA).
      const reasons = [v4, v6].flatMap((r) => (r.status === "rejected" ? [errorText(r.reason)] : []));
      throw new Error(reasons.find((r) => !r.includes("ENODATA")) ?? reasons[0] ?? "no A/AAAA records");
    }
    return { addresses: records.map((r) => r.address), ttlMs: Math.min(...records.map((r) => r.ttl)) * 1000 };
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
