import type { TCluster, TEndpoint, TSecret } from "@switchyard/config-model";
import { hashConfig } from "@switchyard/config-model";
import type { ConnectionOptions } from "node:tls";
import { Pool } from "undici";
import type { TDiscoverySource, TDiscoveryStatus } from "./discovery/types.ts";
import { H2Pool } from "./h2-pool.ts";
import { upstreamTlsOptions } from "./tls-options.ts";
import { createLoadBalancer, type TLoadBalancer } from "./lb.ts";

/**
 * undici keeps an idle upstream connection this long when the upstream sends no
 * `Keep-Alive: timeout=` hint. Kept below Node's default server keepAliveTimeout (5 s)
 * so we close first instead of racing the upstream's close (which shows up as UC).
 * Hints are honoured up to the cluster's idleTimeoutMs.
 */
const DEFAULT_KEEPALIVE_MS = 4_000;

/** One upstream host:port with its keep-alive pool and the counters /clusters reports. */
export class UpstreamEndpoint {
  readonly address: string;
  readonly port: number;
  /** Mutable only through ClusterRuntime.setEndpoints (a discovery update may reweight a kept endpoint). */
  weight: number;
  /** "address:port", as the access log's upstreamHost. */
  readonly hostPort: string;
  /** undici Pool (http1, or auto = ALPN over TLS) or our H2Pool (http2); same dispatch protocol. */
  readonly pool: Pool | H2Pool;
  /** Client TLS options when the cluster has `tls` (also used by TCP and WebSocket tunnels). */
  readonly tls: ConnectionOptions | null;
  activeRequests = 0;
  successes = 0;
  errors = 0;

  /**
   * `connector`: logicalDns hands a connector factory that dials the latest resolved
   * address (see discovery/dns.ts); it gets this endpoint's TLS options.
   */
  constructor(
    address: string,
    port: number,
    weight: number,
    cluster: TCluster,
    secrets: ReadonlyMap<string, TSecret> = new Map(),
    connector?: (tls: ConnectionOptions | null) => Pool.Options["connect"],
  ) {
    this.address = address;
    this.port = port;
    this.weight = weight;
    this.hostPort = hostPortOf(address, port);
    this.tls = cluster.tls ? upstreamTlsOptions(cluster.tls, secrets, address) : null;
    const scheme = this.tls ? "https" : "http";
    if (cluster.protocol === "http2") {
      this.pool = new H2Pool({
        origin: `${scheme}://${this.hostPort}`,
        connectTimeoutMs: cluster.connectTimeoutMs,
        idleTimeoutMs: cluster.idleTimeoutMs,
        ...(this.tls ? { tls: this.tls } : {}),
      });
      return;
    }
    this.pool = new Pool(`${scheme}://${this.hostPort}`, {
      // auto: offer h2 and http/1.1 by ALPN (TLS only; over cleartext auto is HTTP/1.1).
      ...(cluster.protocol === "auto" && this.tls ? { allowH2: true } : {}),
      ...(connector ? { connect: connector(this.tls) } : this.tls ? { connect: this.tls } : {}),
      // Pipelining off: one request per connection at a time, as DESIGN §5 says.
      pipelining: 1,
      connectTimeout: cluster.connectTimeoutMs,
      keepAliveTimeout: Math.min(cluster.idleTimeoutMs, DEFAULT_KEEPALIVE_MS),
      keepAliveMaxTimeout: cluster.idleTimeoutMs,
      // The route timeout (timeoutMs) bounds the whole exchange; undici's own
      // 300 s header/body timeouts would only fire for routes with timeoutMs 0.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }
}

/**
 * A cluster compiled for one config version: endpoints, their pools and a load balancer.
 * Reused as-is by later versions while `key` (name + hash of every field that affects
 * endpoints, pools or balancing) is unchanged. Discovery (discovery/) swaps the endpoint
 * set in place through setEndpoints, without a new version.
 */
export class ClusterRuntime {
  readonly name: string;
  readonly key: string;
  readonly lbPolicy: string;
  readonly connectTimeoutMs: number;
  readonly discovery: TCluster["discovery"];
  readonly #config: TCluster;
  readonly #secrets: ReadonlyMap<string, TSecret>;
  /**
   * The serving endpoint set: an immutable array swapped as one reference together with
   * its balancer (setEndpoints), so a request sees either the old set or the new one.
   */
  #endpoints: readonly UpstreamEndpoint[];
  #lb: TLoadBalancer<UpstreamEndpoint>;
  /** Pools of endpoints a discovery update removed, closing once their in-flight requests finish. */
  readonly #retiring = new Set<Promise<void>>();
  #closed: Promise<void> | null = null;
  /** Discovery state for /clusters and the console (static clusters: source "static"). */
  readonly status: TDiscoveryStatus;
  #source: TDiscoverySource | null = null;

  /**
   * `initial` seeds a dynamic cluster with the endpoints a previous runtime of the same
   * discovery source had found, so a config change (say lbPolicy) does not empty it
   * until the next resolution.
   */
  constructor(cluster: TCluster, secrets: ReadonlyMap<string, TSecret> = new Map(), initial?: readonly TEndpoint[]) {
    this.name = cluster.name;
    this.key = clusterKey(cluster, secrets);
    this.lbPolicy = cluster.lbPolicy;
    this.connectTimeoutMs = cluster.connectTimeoutMs;
    this.discovery = cluster.discovery;
    this.#config = cluster;
    this.#secrets = secrets;
    this.status = { source: cluster.discovery, endpointsVersion: null, updatedAt: null, lastError: null, failures: 0, updates: 0 };
    // Dynamic kinds start from what discovery finds; static/eds from the config's list
    // (eds: until the control plane pushes a set). DNS kinds list host names, not endpoints.
    const seed = initial ?? (cluster.discovery === "static" || cluster.discovery === "eds" ? cluster.endpoints : []);
    this.#endpoints = Object.freeze(seed.map((e) => this.#newEndpoint(e)));
    this.#lb = this.#buildLb(this.#endpoints);
  }

  /** The serving endpoints (an immutable snapshot; a later update swaps in a new array). */
  get endpoints(): readonly UpstreamEndpoint[] {
    return this.#endpoints;
  }

  /** The cluster's config (discovery sources read their settings from it). */
  get config(): TCluster {
    return this.#config;
  }

  /** Attaches the discovery source that feeds setEndpoints; started by start(), stopped by drain/destroy. */
  attachSource(source: TDiscoverySource): void {
    this.#source = source;
    this.status.source = source.describe();
  }

  /** Starts discovery (if any); resolves once the first answer arrived or failed. */
  start(): Promise<void> {
    if (!this.#source || this.#closed) return Promise.resolve();
    return this.#source.start();
  }

  /**
   * Swaps in a new endpoint set (discovery update). Endpoints are keyed by address:port:
   * kept ones keep their object (pool, counters, health/outlier state) and take the new
   * weight; new ones get a pool; removed ones leave the balancer now and their pools close
   * once their in-flight requests finish (undici close()), so churn drops nothing.
   * Returns what changed; an identical set changes nothing (not even the balancer).
   */
  setEndpoints(next: readonly TEndpoint[]): { added: number; removed: number; changed: boolean } {
    if (this.#closed) return { added: 0, removed: 0, changed: false };
    const old = new Map(this.#endpoints.map((e) => [e.hostPort, e]));
    const seen = new Set<string>();
    const list: UpstreamEndpoint[] = [];
    let added = 0;
    let reweighted = false;
    for (const e of next) {
      const key = hostPortOf(e.address, e.port);
      if (seen.has(key)) continue; // the same address from two names or records: one endpoint
      seen.add(key);
      const kept = old.get(key);
      if (kept) {
        if (kept.weight !== e.weight) reweighted = true;
        kept.weight = e.weight;
        list.push(kept);
      } else {
        list.push(this.#newEndpoint(e));
        added++;
      }
    }
    const removedEndpoints = this.#endpoints.filter((e) => !seen.has(e.hostPort));
    const orderChanged = list.length !== this.#endpoints.length || list.some((e, i) => e !== this.#endpoints[i]);
    if (!orderChanged && !reweighted) return { added: 0, removed: 0, changed: false };
    const frozen = Object.freeze(list);
    // The swap: one reference for the set and one for its balancer, no await between.
    this.#endpoints = frozen;
    this.#lb = this.#buildLb(frozen);
    for (const e of removedEndpoints) this.#retire(e);
    return { added, removed: removedEndpoints.length, changed: true };
  }

  #retire(e: UpstreamEndpoint): void {
    const closing = e.pool.close().catch(() => undefined);
    this.#retiring.add(closing);
    void closing.finally(() => this.#retiring.delete(closing));
  }

  #newEndpoint(e: TEndpoint): UpstreamEndpoint {
    const connector = this.#source?.connector;
    return new UpstreamEndpoint(e.address, e.port, e.weight, this.#config, this.#secrets, connector ? (tls) => connector(e, tls) : undefined);
  }

  #buildLb(endpoints: readonly UpstreamEndpoint[]): TLoadBalancer<UpstreamEndpoint> {
    // ringHash/maglev are refused by runtime/unsupported.ts before we get here.
    const policy = this.#config.lbPolicy === "random" || this.#config.lbPolicy === "leastRequest" ? this.#config.lbPolicy : "roundRobin";
    return createLoadBalancer(policy, endpoints);
  }

  /** An endpoint for the next request, or null when the cluster has none (-> 503 UH). */
  pick(): UpstreamEndpoint | null {
    return this.#lb.pick();
  }

  /** Connected upstream sockets over every endpoint (upstream_cx_active). */
  connections(): number {
    let n = 0;
    for (const e of this.#endpoints) n += e.pool.stats.connected;
    return n;
  }

  /**
   * Closes every pool once its queued and in-flight requests finish (undici's close()
   * semantics), so requests of older config versions complete on this cluster.
   */
  drain(): Promise<void> {
    this.#source?.stop();
    this.#closed ??= Promise.all([...this.#endpoints.map((e) => e.pool.close().catch(() => undefined)), ...this.#retiring]).then(() => undefined);
    return this.#closed;
  }

  /** Hard close for shutdown after the grace period. */
  destroy(): Promise<void> {
    this.#source?.stop();
    this.#closed ??= Promise.resolve();
    return Promise.all(this.#endpoints.map((e) => e.pool.destroy().catch(() => undefined))).then(() => undefined);
  }
}

/**
 * Identity of a cluster's runtime: its name plus the fields that shape pools and balancing.
 * Discovered endpoints are not part of it (they change without a config version); the
 * discovery settings are.
 */
export function clusterKey(c: TCluster, secrets: ReadonlyMap<string, TSecret> = new Map()): string {
  const { name, endpoints, lbPolicy, protocol, connectTimeoutMs, idleTimeoutMs, tls, discovery, kubernetes, consul, dnsResolvers, dnsRefreshMs } = c;
  // The referenced secrets' content is part of the identity: a rotated CA or client
  // certificate must build new pools (new connections), not reuse the old TLS options.
  const tlsSecrets = tls ? [tls.caSecret, tls.clientCertificate].map((n) => (n === undefined ? null : (secrets.get(n) ?? null))) : null;
  return `${name}#${hashConfig({ endpoints, lbPolicy, protocol, connectTimeoutMs, idleTimeoutMs, tls, discovery, tlsSecrets, kubernetes, consul, dnsResolvers, dnsRefreshMs })}`;
}

/** Identity of a cluster's discovery source: a new runtime with the same one inherits the endpoints found so far. */
export function discoveryKey(c: TCluster): string | null {
  if (c.discovery === "static") return null;
  const { discovery, endpoints, kubernetes, consul, dnsResolvers } = c;
  return hashConfig({ discovery, endpoints: discovery === "eds" ? [] : endpoints, kubernetes, consul, dnsResolvers });
}

/** "address:port", with IPv6 addresses in brackets. */
export function hostPortOf(address: string, port: number): string {
  return `${address.includes(":") ? `[${address}]` : address}:${port}`;
}
