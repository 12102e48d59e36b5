import { request } from "node:http";
import { request as requestTls } from "node:https";
import { connect } from "node:net";
import type { ConnectionOptions } from "node:tls";
import type { THealthCheck } from "@switchyard/config-model";
import { probeGrpcHealth } from "./grpc-health-check.ts";

/**
 * Active health checking of one cluster's endpoints (Envoy's HealthCheck: http, tcp, and
 * grpc = grpc.health.v1 Check through probeGrpcHealth).
 *
 * Each endpoint has its own loop: check, then wait intervalMs + random(0..intervalJitterMs)
 * and check again. The first check runs at once. Checks use a fresh connection each
 * time (never the traffic pool), so a check measures the endpoint, not our pool state.
 * Results go to `onResult`; the thresholds live with the endpoint state (cluster.ts).
 * When the cluster has `tls`, http and grpc checks use the endpoint's upstream TLS
 * options (SNI, CA, client certificate), as traffic does; tcp checks only connect.
 */

export type THealthTarget = { readonly address: string; readonly port: number; readonly tls: ConnectionOptions | null };

export class HealthChecker<E extends THealthTarget> {
  readonly #cfg: THealthCheck;
  readonly #host: string;
  readonly #onResult: (endpoint: E, ok: boolean, detail: string) => void;
  readonly #timers = new Map<E, NodeJS.Timeout>();
  /** Endpoints being checked; discovery adds and removes them (add/remove). */
  readonly #active = new Set<E>();
  #stopped = false;

  constructor(cfg: THealthCheck, clusterName: string, onResult: (endpoint: E, ok: boolean, detail: string) => void) {
    this.#cfg = cfg;
    // Host header of http checks (:authority of grpc checks): the configured one, else the
    // cluster name (Envoy's default for both).
    this.#host = cfg.host ?? clusterName;
    this.#onResult = onResult;
  }

  start(endpoints: readonly E[]): void {
    for (const e of endpoints) this.add(e);
  }

  /** Starts checking one more endpoint (a discovery update added it), at once. */
  add(e: E): void {
    if (this.#stopped || this.#active.has(e)) return;
    this.#active.add(e);
    this.#schedule(e, 0);
  }

  /** Stops checking an endpoint a discovery update removed (a check in flight is ignored). */
  remove(e: E): void {
    this.#active.delete(e);
    const t = this.#timers.get(e);
    if (t) clearTimeout(t);
    this.#timers.delete(e);
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#active.clear();
  }

  #schedule(e: E, delayMs: number): void {
    if (this.#stopped || !this.#active.has(e)) return;
    const t = setTimeout(() => void this.#run(e), delayMs);
    // Health checks alone must not keep the process alive (shutdown, tests).
    t.unref();
    this.#timers.set(e, t);
  }

  async #run(e: E): Promise<void> {
    const type = this.#cfg.type;
    const r = await (type === "tcp" ? this.#tcp(e) : type === "grpc" ? this.#grpc(e) : this.#http(e));
    if (this.#stopped || !this.#active.has(e)) return;
    this.#onResult(e, r.ok, r.detail);
    const jitter = this.#cfg.intervalJitterMs > 0 ? Math.random() * this.#cfg.intervalJitterMs : 0;
    this.#schedule(e, this.#cfg.intervalMs + jitter);
  }

  #http(e: E): Promise<{ ok: boolean; detail: string }> {
    const cfg = this.#cfg;
    return new Promise((resolve) => {
      let done = false;
      const finish = (ok: boolean, detail: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        req.destroy();
        resolve({ ok, detail });
      };
      const req = (e.tls ? requestTls : request)(
        {
          ...(e.tls ?? {}),
          host: e.address,
          port: e.port,
          method: "GET",
          path: cfg.path,
          agent: false,
          headers: { host: this.#host, "user-agent": "switchyard-health-check", connection: "close" },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          res.resume();
          const ok = cfg.expectedStatuses.some(([lo, hi]) => status >= lo && status <= hi);
          finish(ok, `status ${status}`);
        },
      );
      const timer = setTimeout(() => finish(false, `timeout after ${cfg.timeoutMs} ms`), cfg.timeoutMs);
      req.on("error", (err) => finish(false, (err as { code?: string }).code ?? err.message));
      req.end();
    });
  }

  async #grpc(e: E): Promise<{ ok: boolean; detail: string }> {
    const r = await probeGrpcHealth(e, { serviceName: this.#cfg.grpcServiceName, timeoutMs: this.#cfg.timeoutMs, tls: e.tls, authority: this.#host });
    return { ok: r.healthy, detail: r.reason };
  }

  #tcp(e: E): Promise<{ ok: boolean; detail: string }> {
    return new Promise((resolve) => {
      let done = false;
      const socket = connect({ host: e.address, port: e.port });
      const finish = (ok: boolean, detail: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.destroy();
        resolve({ ok, detail });
      };
      const timer = setTimeout(() => finish(false, `timeout after ${this.#cfg.timeoutMs} ms`), this.#cfg.timeoutMs);
      socket.once("connect", () => finish(true, "connected"));
      socket.once("error", (err) => finish(false, (err as { code?: string }).code ?? err.message));
    });
  }
}
