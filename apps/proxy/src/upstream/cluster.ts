import type { TCircuitBreakers, TCluster, TEndpoint, TSecret } from "@switchyard/config-model";
import { ZCircuitBreakers, hashConfig } from "@switchyard/config-model";
import type { ConnectionOptions } from "node:tls";
import type { TDiscoverySource, TDiscoveryStatus } from "./discovery/types.ts";
import type { TUpstreamEvents } from "./events.ts";
import { HealthChecker } from "./health-check.ts";
import { AlpnPool } from "./alpn-pool.ts";
import { H1Pool, type TH1PoolOptions } from "./h1-pool.ts";
import { H2Pool } from "./h2-pool.ts";
import { upstreamTlsOptions } from "./tls-options.ts";
import { createLoadBalancer, type TLoadBalancer } from "./lb.ts";
import { OutlierDetector, newOutlierState, type TOutlierState, type TTryOutcome } from "./outlier.ts";
import { LOCAL_STATE, type TSharedUpstream, type TSlotGate } from "./shared-state.ts";

/** Envoy's circuit breaker defaults, applied when a cluster sets none (1024 / 1024 / 1024 / 3). */
const DEFAULT_BREAKERS: TCircuitBreakers = ZCircuitBreakers.parse({});

/** One upstream host:port with its keep-alive pool, health/outlier state and the counters /clusters reports. */
export class UpstreamEndpoint {
  readonly address: string;
  readonly port: number;
  /** Mutable only through ClusterRuntime.setEndpoints (a discovery update may reweight a kept endpoint). */
  weight: number;
  /** "address:port", as the access log's upstreamHost. */
  readonly hostPort: string;
  /** H1Pool (http1; auto over cleartext), H2Pool (http2), AlpnPool (auto over TLS: one of the two by ALPN); one dispatch protocol. */
  readonly pool: H1Pool | H2Pool | AlpnPool;
  /** Client TLS options when the cluster has `tls` (also used by TCP and WebSocket tunnels). */
  readonly tls: ConnectionOptions | null;
  activeRequests = 0;
  successes = 0;
  errors = 0;
  /** Active health check verdict; true when the cluster has no health check. */
  healthy: boolean;
  /** No check has answered yet (Envoy: the first success marks healthy at once). */
  hcPending: boolean;
  hcSuccesses = 0;
  hcFailures = 0;
  lastCheck: string | null = null;
  outlier: TOutlierState = newOutlierState();
  /** Not the owner: the last outcome sent to the owner was a failure (the next success resets its counters). */
  reportedFailure = false;

  /**
   * `connections`: this endpoint's share of circuitBreakers.maxConnections (HTTP/1.1 pools).
   * `dialAddress`: logicalDns gives the address new connections dial, the latest answer
   * (see discovery/dns.ts).
   */
  constructor(
    address: string,
    port: number,
    weight: number,
    cluster: TCluster,
    connections: number,
    secrets: ReadonlyMap<string, TSecret> = new Map(),
    dialAddress?: () => string,
  ) {
    this.address = address;
    this.port = port;
    this.weight = weight;
    this.hostPort = hostPortOf(address, port);
    // With active health checks an endpoint is unhealthy until its first check passes (Envoy).
    this.healthy = cluster.healthCheck === undefined;
    this.hcPending = cluster.healthCheck !== undefined;
    this.tls = cluster.tls ? upstreamTlsOptions(cluster.tls, secrets, address) : null;
    const scheme = this.tls ? "https" : "http";
    if (cluster.protocol === "http2") {
      // One multiplexed session per endpoint: circuitBreakers.maxConnections does not
      // apply (Envoy counts h2 streams against maxRequests, which the router enforces).
      this.pool = new H2Pool({
        origin: `${scheme}://${this.hostPort}`,
        connectTimeoutMs: cluster.connectTimeoutMs,
        idleTimeoutMs: cluster.idleTimeoutMs,
        ...(this.tls ? { tls: this.tls } : {}),
      });
      return;
    }
    const h1: TH1PoolOptions = {
      address,
      port,
      hostPort: this.hostPort,
      tls: this.tls,
      connections,
      connectTimeoutMs: cluster.connectTimeoutMs,
      idleTimeoutMs: cluster.idleTimeoutMs,
      ...(dialAddress ? { dialAddress } : {}),
    };
    // auto: h2 or http/1.1 by ALPN (TLS only; over cleartext auto is HTTP/1.1).
    this.pool = cluster.protocol === "auto" && this.tls ? new AlpnPool({ ...h1, tls: this.tls }) : new H1Pool(h1);
  }

  /** In the balancer: passed its health checks and not ejected. */
  get available(): boolean {
    return this.healthy && this.outlier.ejectedUntil === 0;
  }
}

let nextRuntimeId = 1;

/**
 * A cluster compiled for one config version: endpoints, their pools, a load balancer over
 * the available endpoints, circuit breakers, active health checks and outlier detection.
 * Reused as-is (pools, health and outlier state included) by later versions while `key`
 * (name + hash of the whole cluster config) is unchanged. A changed cluster gets a new
 * runtime that inherits the health and outlier state of endpoints it keeps. Discovery
 * (discovery/) swaps the endpoint set in place through setEndpoints, without a new
 * version; health checks and outlier detection follow the set.
 */
export class ClusterRuntime {
  readonly name: string;
  readonly key: string;
  /** Distinct per runtime: /clusters shows it so a test (or operator) can see a pool was reused. */
  readonly runtimeId = nextRuntimeId++;
  readonly lbPolicy: TCluster["lbPolicy"];
  readonly connectTimeoutMs: number;
  readonly discovery: TCluster["discovery"];
  readonly breakers: TCircuitBreakers;
  /** True for ringHash / maglev: only then does the router compute a request hash. */
  readonly hashing: boolean;
  readonly #config: TCluster;
  readonly #secrets: ReadonlyMap<string, TSecret>;
  readonly #events: TUpstreamEvents;
  /**
   * Every endpoint (healthy or not): an immutable array swapped as one reference by
   * setEndpoints, so a request sees either the old set or the new one.
   */
  #endpoints: readonly UpstreamEndpoint[];
  /** Pools of endpoints a discovery update removed, closing once their in-flight requests finish. */
  readonly #retiring = new Set<Promise<void>>();
  /** Discovery state for /clusters and the console (static clusters: source "static"). */
  readonly status: TDiscoveryStatus;
  #source: TDiscoverySource | null = null;
  #lb: TLoadBalancer<UpstreamEndpoint>;
  #available: readonly UpstreamEndpoint[];
  #panic = false;
  readonly #health: HealthChecker<UpstreamEndpoint> | null;
  readonly #outlier: OutlierDetector<UpstreamEndpoint> | null;
  #closed: Promise<void> | null = null;
  #started = false;

  /** Circuit breaker gauges of this process (metrics, /clusters); the limits are held by the gates. */
  activeRequests = 0;
  pendingRequests = 0;
  /** Retries scheduled or in flight (Envoy counts a retry from the decision, back-off included). */
  activeRetries = 0;
  readonly #shared: TSharedUpstream;
  /** Node-wide gates of maxRequests, maxPendingRequests and maxRetries (shared by every worker). */
  readonly #gates: { readonly requests: TSlotGate; readonly pending: TSlotGate; readonly retries: TSlotGate };

  /**
   * `previous`: the runtime this one replaces (same name); endpoints it had keep their
   * health and outlier state. `initial` seeds a dynamic cluster with the endpoints a
   * previous runtime of the same discovery source had found, so a config change (say
   * lbPolicy) does not empty it until the next resolution.
   */
  constructor(
    cluster: TCluster,
    events: TUpstreamEvents,
    previous?: ClusterRuntime,
    secrets: ReadonlyMap<string, TSecret> = new Map(),
    initial?: readonly TEndpoint[],
    shared: TSharedUpstream = LOCAL_STATE,
  ) {
    this.name = cluster.name;
    this.key = clusterKey(cluster, secrets);
    this.#shared = shared;
    this.lbPolicy = cluster.lbPolicy;
    this.connectTimeoutMs = cluster.connectTimeoutMs;
    this.discovery = cluster.discovery;
    this.hashing = cluster.lbPolicy === "ringHash" || cluster.lbPolicy === "maglev";
    this.#config = cluster;
    this.#secrets = secrets;
    this.#events = events;
    this.breakers = cluster.circuitBreakers ?? DEFAULT_BREAKERS;
    this.#gates = {
      requests: shared.slots(`${this.key}:requests`, this.breakers.maxRequests),
      pending: shared.slots(`${this.key}:pending`, this.breakers.maxPendingRequests),
      retries: shared.slots(`${this.key}:retries`, this.breakers.maxRetries),
    };
    this.status = { source: cluster.discovery, endpointsVersion: null, updatedAt: null, lastError: null, failures: 0, updates: 0 };
    // Dynamic kinds start from what discovery finds; static/eds from the config's list
    // (eds: until the control plane pushes a set). DNS kinds list host names, not endpoints.
    const seed = initial ?? (cluster.discovery === "static" || cluster.discovery === "eds" ? cluster.endpoints : []);
    this.#endpoints = Object.freeze(seed.map((e) => this.#newEndpoint(e, seed.length)));
    if (previous) this.#inherit(previous, cluster);
    this.#health = cluster.healthCheck
      ? new HealthChecker<UpstreamEndpoint>(cluster.healthCheck, cluster.name, (e, ok, detail) => this.#onHealthCheck(e, ok, detail))
      : null;
    this.#outlier = cluster.outlierDetection
      ? new OutlierDetector(cluster.outlierDetection, () => this.#endpoints, (e, ejected) => this.#onEjection(e, ejected))
      : null;
    this.#available = this.endpoints;
    this.#lb = this.#buildLb(this.endpoints);
    this.#refresh();
  }

  /** Every endpoint, available or not (an immutable snapshot; an update swaps in a new array). */
  get endpoints(): readonly UpstreamEndpoint[] {
    return this.#endpoints;
  }

  /** The cluster's config (discovery sources read their settings from it). */
  get config(): TCluster {
    return this.#config;
  }

  /** Attaches the discovery source that feeds setEndpoints; started by startDiscovery(), stopped by drain/destroy. */
  attachSource(source: TDiscoverySource): void {
    this.#source = source;
    this.status.source = source.describe();
  }

  /**
   * Starts discovery (if any) while the version warms, before it is committed; resolves
   * once the first answer arrived or failed.
   */
  startDiscovery(): Promise<void> {
    if (!this.#source || this.#closed) return Promise.resolve();
    return this.#source.start();
  }

  /**
   * Swaps in a new endpoint set (discovery update). Endpoints are keyed by address:port:
   * kept ones keep their object (pool, counters, health/outlier state) and take the new
   * weight; new ones get a pool (and, with active health checks, stay out of the balancer
   * until their first check passes, checked at once); removed ones leave the balancer now,
   * stop being checked, and their pools close once their in-flight requests finish
   * (the pools' close()), so churn drops nothing. An identical set changes nothing.
   */
  setEndpoints(next: readonly TEndpoint[]): { added: number; removed: number; changed: boolean } {
    if (this.#closed) return { added: 0, removed: 0, changed: false };
    const old = new Map(this.#endpoints.map((e) => [e.hostPort, e]));
    const seen = new Set<string>();
    const list: UpstreamEndpoint[] = [];
    const fresh: UpstreamEndpoint[] = [];
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
        const created = this.#newEndpoint(e, next.length);
        fresh.push(created);
        list.push(created);
      }
    }
    const removedEndpoints = this.#endpoints.filter((e) => !seen.has(e.hostPort));
    const orderChanged = list.length !== this.#endpoints.length || list.some((e, i) => e !== this.#endpoints[i]);
    if (!orderChanged && !reweighted) return { added: 0, removed: 0, changed: false };
    // The swap: one reference for the set; #refresh swaps the balancer, no await between.
    this.#endpoints = Object.freeze(list);
    this.#refresh(true);
    for (const e of removedEndpoints) this.#retire(e);
    if (this.#started && this.#shared.owner) for (const e of fresh) this.#health?.add(e);
    return { added: fresh.length, removed: removedEndpoints.length, changed: true };
  }

  #retire(e: UpstreamEndpoint): void {
    this.#health?.remove(e);
    const closing = e.pool.close().catch(() => undefined);
    this.#retiring.add(closing);
    void closing.finally(() => this.#retiring.delete(closing));
  }

  /**
   * `setSize`: endpoints in the set being built; circuitBreakers.maxConnections is split
   * over them (an endpoint keeps its share when later discovery updates resize the set).
   */
  #newEndpoint(e: TEndpoint, setSize: number): UpstreamEndpoint {
    const perEndpoint = Math.max(1, Math.ceil(this.breakers.maxConnections / Math.max(1, setSize)));
    return new UpstreamEndpoint(e.address, e.port, e.weight, this.#config, perEndpoint, this.#secrets, this.#source?.dialAddress);
  }

  /** Starts health checks and the outlier sweep; called when the version is committed. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    // One process of the node probes; the others take its verdicts (applyHealth).
    if (this.#shared.owner) this.#health?.start(this.#endpoints);
    this.#outlier?.start();
  }

  /**
   * An endpoint for the next try, or null when the cluster has none (-> 503 UH). `tried`
   * holds endpoints earlier tries used: another one is preferred when one exists.
   */
  pick(hash: number | undefined, tried: readonly UpstreamEndpoint[] | null): UpstreamEndpoint | null {
    const e = this.#lb.pick(hash);
    if (e === null || tried === null || !tried.includes(e)) return e;
    // Retries go elsewhere when possible: a few more balancer picks (random hash for the
    // hashing policies), then the first candidate not tried yet.
    for (let i = 0; i < 3; i++) {
      const again = this.#lb.pick(this.hashing ? (Math.random() * 0x100000000) >>> 0 : undefined);
      if (again !== null && !tried.includes(again)) return again;
    }
    const pool = this.#panic ? this.endpoints : this.#available;
    return pool.find((c) => !tried.includes(c)) ?? e;
  }

  /** Outcome of one finished try, for outlier detection. */
  recordOutcome(e: UpstreamEndpoint, outcome: TTryOutcome): void {
    if (this.#outlier === null) return;
    if (this.#shared.owner) return this.#outlier.record(e, outcome, performance.now());
    // Not the owner: failures go to the owner, and the first success after one (it resets
    // the owner's consecutive counters). A steady stream of successes sends nothing.
    const failed = outcome !== "success";
    if (!failed && !e.reportedFailure) return;
    e.reportedFailure = failed;
    this.#shared.outcome(this.name, e.hostPort, outcome);
  }

  /** Owner: an outcome another process of the node saw. */
  recordRemoteOutcome(hostPort: string, outcome: TTryOutcome): void {
    const e = this.#endpoints.find((x) => x.hostPort === hostPort);
    if (e) this.#outlier?.record(e, outcome, performance.now());
  }

  /** Not the owner: the owner's health verdict for an endpoint. */
  applyHealth(hostPort: string, healthy: boolean, detail: string): void {
    const e = this.#endpoints.find((x) => x.hostPort === hostPort);
    if (!e || this.#config.healthCheck === undefined) return;
    e.lastCheck = detail;
    e.hcPending = false;
    if (e.healthy === healthy) return;
    e.healthy = healthy;
    this.#refresh();
    this.#events.endpointStateChanged?.(this.name);
  }

  /** Not the owner: the owner ejected an endpoint for `remainingMs` (0: let it back). */
  applyEjection(hostPort: string, remainingMs: number, ejections: number): void {
    const e = this.#endpoints.find((x) => x.hostPort === hostPort);
    if (!e || this.#outlier === null) return;
    const ejected = remainingMs > 0;
    if (ejected === (e.outlier.ejectedUntil !== 0) && !ejected) return;
    e.outlier.ejectedUntil = ejected ? performance.now() + remainingMs : 0;
    e.outlier.ejections = ejections;
    this.#refresh();
    this.#events.endpointStateChanged?.(this.name);
  }

  // ---- circuit breakers (node-wide through the gates) --------------------------------

  /**
   * Admission of one try against maxRequests and maxPendingRequests; true holds a request
   * and a pending slot (tryConnected gives back the pending one, tryEnded the rest). A
   * promise only when this process must ask the primary for slots.
   */
  admitTry(): boolean | Promise<boolean> {
    const { requests, pending } = this.#gates;
    const takePending = (): boolean | Promise<boolean> => {
      const p = pending.acquire();
      if (p === true) return true;
      if (p === false) return (requests.release(), false);
      return p.then((ok) => (ok ? true : (requests.release(), false)));
    };
    const r = requests.acquire();
    if (r === false) return false;
    if (r === true) return takePending();
    return r.then((ok) => (ok ? takePending() : false));
  }

  /** Gives back what admitTry took when no try follows (no endpoint, client gone). */
  cancelAdmission(): void {
    this.#gates.pending.release();
    this.#gates.requests.release();
  }

  /** A try admitted by admitTry started: this process's gauges. */
  tryStarted(): void {
    this.activeRequests++;
    this.pendingRequests++;
  }

  /** The try's request went out on a connection: no longer pending. */
  tryConnected(): void {
    this.pendingRequests--;
    this.#gates.pending.release();
  }

  /** The try ended; `pending`: it never reached a connection. A retry's slot is given back here too. */
  tryEnded(pending: boolean, isRetry: boolean): void {
    if (pending) this.tryConnected();
    this.activeRequests--;
    this.#gates.requests.release();
    if (isRetry) this.releaseRetry();
  }

  /** A mirrored copy takes a maxRequests slot (no pending slot: a copy that cannot go is dropped, never queued for). */
  admitMirror(): boolean | Promise<boolean> {
    return this.#gates.requests.acquire();
  }

  mirrorEnded(): void {
    this.#gates.requests.release();
  }

  /** A slot of maxRetries, held from the retry decision (back-off included) to the end of the retry's try. */
  acquireRetry(): boolean | Promise<boolean> {
    const got = this.#gates.retries.acquire();
    if (got === true) this.activeRetries++;
    else if (got !== false) return got.then((ok) => (ok && this.activeRetries++, ok));
    return got;
  }

  releaseRetry(): void {
    this.activeRetries--;
    this.#gates.retries.release();
  }

  /** Available endpoints (healthy, not ejected); /clusters and cluster_membership_healthy. */
  availableCount(): number {
    return this.#available.length;
  }

  panicking(): boolean {
    return this.#panic;
  }

  ejectedCount(): number {
    return this.#outlier?.ejectedCount() ?? 0;
  }

  /** Connected upstream sockets over every endpoint (upstream_cx_active). */
  connections(): number {
    let n = 0;
    for (const e of this.endpoints) n += e.pool.stats.connected;
    return n;
  }

  /**
   * Closes every pool once its queued and in-flight requests finish (the pools' close()
   * semantics), so requests of older config versions complete on this cluster.
   */
  drain(): Promise<void> {
    this.#stopChecks();
    this.#closed ??= Promise.all([...this.#endpoints.map((e) => e.pool.close().catch(() => undefined)), ...this.#retiring]).then(() => undefined);
    return this.#closed;
  }

  /** Hard close for shutdown after the grace period. */
  destroy(): Promise<void> {
    this.#stopChecks();
    this.#closed ??= Promise.resolve();
    return Promise.all(this.endpoints.map((e) => e.pool.destroy().catch(() => undefined))).then(() => undefined);
  }

  #stopChecks(): void {
    this.#source?.stop();
    this.#health?.stop();
    this.#outlier?.stop();
  }

  #inherit(previous: ClusterRuntime, cluster: TCluster): void {
    const old = new Map(previous.endpoints.map((e) => [e.hostPort, e]));
    const hadChecks = previous.#config.healthCheck !== undefined;
    for (const e of this.endpoints) {
      const o = old.get(e.hostPort);
      if (!o) continue;
      if (hadChecks && cluster.healthCheck !== undefined) {
        e.healthy = o.healthy;
        e.hcPending = o.hcPending;
      }
      if (previous.#config.outlierDetection !== undefined && cluster.outlierDetection !== undefined) e.outlier = { ...o.outlier };
    }
  }

  #onHealthCheck(e: UpstreamEndpoint, ok: boolean, detail: string): void {
    const cfg = this.#config.healthCheck;
    if (!cfg) return;
    e.lastCheck = detail;
    const wasPending = e.hcPending;
    e.hcPending = false;
    const healthyBefore = e.healthy;
    if (ok) {
      e.hcFailures = 0;
      e.hcSuccesses++;
      if (!e.healthy && (wasPending || e.hcSuccesses >= cfg.healthyThreshold)) this.#setHealth(e, true, detail);
    } else {
      e.hcSuccesses = 0;
      e.hcFailures++;
      if (e.healthy && e.hcFailures >= cfg.unhealthyThreshold) this.#setHealth(e, false, detail);
    }
    // The first verdict goes out even without a transition: the other processes may hold an
    // older owner's verdict (the owner was replaced).
    if (wasPending && e.healthy === healthyBefore) this.#shared.healthChanged(this.name, e.hostPort, e.healthy, detail);
  }

  #setHealth(e: UpstreamEndpoint, healthy: boolean, detail: string): void {
    e.healthy = healthy;
    this.#shared.healthChanged(this.name, e.hostPort, healthy, detail);
    const to = healthy ? "healthy" : "unhealthy";
    this.#events.healthTransition(this.name, to, e.hostPort, detail);
    this.#events.log("health_check_transition", { cluster: this.name, endpoint: e.hostPort, to, detail });
    this.#refresh();
    this.#events.endpointStateChanged?.(this.name);
  }

  #onEjection(e: UpstreamEndpoint, ejected: boolean): void {
    if (!this.#shared.owner) {
      // The sweep of a process that is not the owner only lets an ejection it was told of
      // expire; the owner counts and logs it.
      this.#refresh();
      return this.#events.endpointStateChanged?.(this.name);
    }
    this.#shared.ejectionChanged(this.name, e.hostPort, ejected ? Math.max(1, Math.round(e.outlier.ejectedUntil - performance.now())) : 0, e.outlier.ejections);
    this.#events.outlierEjected(this.name, e.hostPort, ejected);
    this.#events.log(ejected ? "outlier_ejected" : "outlier_unejected", {
      cluster: this.name,
      endpoint: e.hostPort,
      ejections: e.outlier.ejections,
      ...(ejected ? { untilMs: Math.round(e.outlier.ejectedUntil - performance.now()) } : {}),
    });
    this.#refresh();
    this.#events.endpointStateChanged?.(this.name);
  }

  /**
   * Rebuilds the balancer over the available endpoints. Panic (Envoy's healthy panic
   * threshold): when fewer than panicThresholdPercent of the endpoints are available,
   * balance over all of them, since a few survivors would be overwhelmed anyway.
   */
  #refresh(setChanged = false): void {
    const available = this.endpoints.filter((e) => e.available);
    const threshold = this.#config.panicThresholdPercent;
    const panic = this.endpoints.length > 0 && available.length * 100 < threshold * this.endpoints.length;
    const changed = setChanged || panic !== this.#panic || available.length !== this.#available.length || available.some((e, i) => e !== this.#available[i]);
    this.#available = available;
    if (panic !== this.#panic) this.#events.log(panic ? "cluster_panic_start" : "cluster_panic_end", { cluster: this.name, available: available.length, total: this.endpoints.length });
    this.#panic = panic;
    if (changed) this.#lb = this.#buildLb(panic ? this.endpoints : available);
  }

  #buildLb(endpoints: readonly UpstreamEndpoint[]): TLoadBalancer<UpstreamEndpoint> {
    return createLoadBalancer(this.#config.lbPolicy, endpoints, Math.random, {
      keyOf: (e) => e.hostPort,
      minRingSize: this.#config.ringHashMinimumRingSize,
    });
  }
}

/**
 * Identity of a cluster's runtime: its name plus a hash of its whole config (any change,
 * breakers and health checks included, builds a new runtime that inherits endpoint state)
 * and of the content of the secrets its `tls` references: a rotated CA or client
 * certificate must build new pools (new connections), not reuse the old TLS options.
 * Discovered endpoints are not part of it (they change without a config version); the
 * discovery settings are, as every field is.
 */
export function clusterKey(c: TCluster, secrets: ReadonlyMap<string, TSecret> = new Map()): string {
  const { name, ...rest } = c;
  const tls = c.tls;
  const tlsSecrets = tls ? [tls.caSecret, tls.clientCertificate].map((n) => (n === undefined ? null : (secrets.get(n) ?? null))) : null;
  return `${name}#${hashConfig({ ...rest, tlsSecrets })}`;
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
