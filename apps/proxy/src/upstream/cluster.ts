import type { TCluster, TSecret } from "@switchyard/config-model";
import { hashConfig } from "@switchyard/config-model";
import type { ConnectionOptions } from "node:tls";
import { Pool } from "undici";
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
  readonly weight: number;
  /** "address:port", as the access log's upstreamHost. */
  readonly hostPort: string;
  /** undici Pool (http1, or auto = ALPN over TLS) or our H2Pool (http2); same dispatch protocol. */
  readonly pool: Pool | H2Pool;
  /** Client TLS options when the cluster has `tls` (also used by TCP and WebSocket tunnels). */
  readonly tls: ConnectionOptions | null;
  activeRequests = 0;
  successes = 0;
  errors = 0;

  constructor(address: string, port: number, weight: number, cluster: TCluster, secrets: ReadonlyMap<string, TSecret> = new Map()) {
    this.address = address;
    this.port = port;
    this.weight = weight;
    const host = address.includes(":") ? `[${address}]` : address;
    this.hostPort = `${host}:${port}`;
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
      ...(this.tls ? { connect: this.tls } : {}),
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
 * endpoints, pools or balancing) is unchanged.
 */
export class ClusterRuntime {
  readonly name: string;
  readonly key: string;
  readonly lbPolicy: string;
  readonly connectTimeoutMs: number;
  readonly endpoints: readonly UpstreamEndpoint[];
  readonly #lb: TLoadBalancer<UpstreamEndpoint>;
  #closed: Promise<void> | null = null;

  constructor(cluster: TCluster, secrets: ReadonlyMap<string, TSecret> = new Map()) {
    this.name = cluster.name;
    this.key = clusterKey(cluster, secrets);
    this.lbPolicy = cluster.lbPolicy;
    this.connectTimeoutMs = cluster.connectTimeoutMs;
    this.endpoints = Object.freeze(cluster.endpoints.map((e) => new UpstreamEndpoint(e.address, e.port, e.weight, cluster, secrets)));
    // ringHash/maglev are refused by runtime/unsupported.ts before we get here.
    const policy = cluster.lbPolicy === "random" || cluster.lbPolicy === "leastRequest" ? cluster.lbPolicy : "roundRobin";
    this.#lb = createLoadBalancer(policy, this.endpoints);
  }

  /** An endpoint for the next request, or null when the cluster has none (-> 503 UH). */
  pick(): UpstreamEndpoint | null {
    return this.#lb.pick();
  }

  /** Connected upstream sockets over every endpoint (upstream_cx_active). */
  connections(): number {
    let n = 0;
    for (const e of this.endpoints) n += e.pool.stats.connected;
    return n;
  }

  /**
   * Closes every pool once its queued and in-flight requests finish (undici's close()
   * semantics), so requests of older config versions complete on this cluster.
   */
  drain(): Promise<void> {
    this.#closed ??= Promise.all(this.endpoints.map((e) => e.pool.close().catch(() => undefined))).then(() => undefined);
    return this.#closed;
  }

  /** Hard close for shutdown after the grace period. */
  destroy(): Promise<void> {
    return Promise.all(this.endpoints.map((e) => e.pool.destroy().catch(() => undefined))).then(() => undefined);
  }
}

/** Identity of a cluster's runtime: its name plus the fields that shape pools and balancing. */
export function clusterKey(c: TCluster, secrets: ReadonlyMap<string, TSecret> = new Map()): string {
  const { name, endpoints, lbPolicy, protocol, connectTimeoutMs, idleTimeoutMs, tls, discovery } = c;
  // The referenced secrets' content is part of the identity: a rotated CA or client
  // certificate must build new pools (new connections), not reuse the old TLS options.
  const tlsSecrets = tls ? [tls.caSecret, tls.clientCertificate].map((n) => (n === undefined ? null : (secrets.get(n) ?? null))) : null;
  return `${name}#${hashConfig({ endpoints, lbPolicy, protocol, connectTimeoutMs, idleTimeoutMs, tls, discovery, tlsSecrets })}`;
}
