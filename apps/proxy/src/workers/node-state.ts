import { TokenBucket } from "../filters/rate-limit/token-bucket.ts";
import type { TEjectionVerdict, TEndpointsFound, THealthVerdict, TStateFromWorker, TStateToWorker } from "./state-protocol.ts";

/** Token buckets kept before the oldest are dropped (a dropped key restarts full, as in one process). */
const MAX_BUCKETS = 100_000;

type TSlotCount = { used: number; byWorker: Map<number, number> };
type TVerdicts = { health?: THealthVerdict; ejection?: { until: number; ejections: number } };

/**
 * The primary's side of the node-wide state: the circuit-breaker counts (slots leased to
 * workers; a worker that dies gives its slots back), the local rate-limit buckets, and
 * the owner's last health and ejection verdict per endpoint, relayed to every other
 * worker and replayed to a worker after it applies a version (a new or restarted worker
 * learns what the owner already knows).
 */
export class NodeState {
  readonly #slots = new Map<string, TSlotCount>();
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #verdicts = new Map<string, TVerdicts>();
  /** The owner's last discovered set per cluster and discovery settings, numbered. */
  readonly #found = new Map<string, TEndpointsFound>();
  readonly #send: (workerId: number, m: TStateToWorker) => void;
  readonly #workers: () => Iterable<number>;
  /** node:cluster id of the worker that probes and ejects, or null while it is being replaced. */
  owner: number | null = null;

  constructor(send: (workerId: number, m: TStateToWorker) => void, workers: () => Iterable<number>) {
    this.#send = send;
    this.#workers = workers;
  }

  handle(from: number, m: TStateFromWorker): void {
    switch (m.type) {
      case "sy:slots":
        return this.#send(from, { type: "sy:grant", id: m.id, granted: this.#grantSlots(from, m.key, m.limit, m.want), tokens: 0 });
      case "sy:slots-back":
        return this.#giveBack(from, m.key, m.n);
      case "sy:tokens": {
        const { granted, tokens } = this.#takeTokens(m.key, m.burst, m.ratePerMs, m.want);
        return this.#send(from, { type: "sy:grant", id: m.id, granted, tokens });
      }
      case "sy:health":
      case "sy:ejection":
        if (from !== this.owner) return;
        this.#remember(m);
        return this.#toOthers(from, m);
      case "sy:found": {
        if (from !== this.owner) return;
        const set: TEndpointsFound = { ...m, version: (this.#found.get(m.key)?.version ?? 0) + 1 };
        this.#found.set(m.key, set);
        return this.#toOthers(from, set);
      }
      case "sy:outcome":
        if (this.owner !== null && from !== this.owner) this.#send(this.owner, m);
        return;
    }
  }

  /** The owner's discovered sets, for a worker about to apply a version (its clusters start from them). */
  endpointsTo(workerId: number): void {
    if (workerId === this.owner) return;
    for (const set of this.#found.values()) this.#send(workerId, set);
  }

  /** What the owner decided so far, for a worker that just applied a version. */
  replayTo(workerId: number): void {
    if (workerId === this.owner) return;
    const now = Date.now();
    for (const [k, v] of this.#verdicts) {
      if (v.health) this.#send(workerId, v.health);
      if (!v.ejection || v.ejection.until <= now) continue;
      const [cluster, hostPort] = splitKey(k);
      this.#send(workerId, { type: "sy:ejection", cluster, hostPort, remainingMs: v.ejection.until - now, ejections: v.ejection.ejections });
    }
  }

  /** A worker exited: the slots it held are free again; a new owner starts from scratch. */
  workerGone(workerId: number): void {
    for (const [key, s] of this.#slots) {
      const held = s.byWorker.get(workerId);
      if (held === undefined) continue;
      s.used -= held;
      s.byWorker.delete(workerId);
      if (s.used <= 0) this.#slots.delete(key);
    }
    if (workerId === this.owner) this.owner = null;
  }

  /** Slots in use node-wide for one limit (tests, /clusters). */
  slotsUsed(key: string): number {
    return this.#slots.get(key)?.used ?? 0;
  }

  #grantSlots(worker: number, key: string, limit: number, want: number): number {
    let s = this.#slots.get(key);
    if (!s) this.#slots.set(key, (s = { used: 0, byWorker: new Map() }));
    const granted = Math.max(0, Math.min(want, limit - s.used));
    s.used += granted;
    s.byWorker.set(worker, (s.byWorker.get(worker) ?? 0) + granted);
    return granted;
  }

  #giveBack(worker: number, key: string, n: number): void {
    const s = this.#slots.get(key);
    const held = s?.byWorker.get(worker);
    if (!s || held === undefined) return;
    const back = Math.min(n, held);
    s.used -= back;
    s.byWorker.set(worker, held - back);
    if (s.used <= 0) this.#slots.delete(key);
  }

  #takeTokens(key: string, burst: number, ratePerMs: number, want: number): { granted: number; tokens: number } {
    const now = performance.now();
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= MAX_BUCKETS) {
        let n = MAX_BUCKETS / 10;
        for (const k of this.#buckets.keys()) {
          this.#buckets.delete(k);
          if (--n <= 0) break;
        }
      }
      b = new TokenBucket(burst, now);
      this.#buckets.set(key, b);
    }
    let granted = 0;
    while (granted < want && b.take(burst, ratePerMs, now)) granted++;
    return { granted, tokens: b.tokens };
  }

  #remember(m: THealthVerdict | TEjectionVerdict): void {
    const key = `${m.cluster}\0${m.hostPort}`;
    const v = this.#verdicts.get(key) ?? {};
    if (m.type === "sy:health") v.health = m;
    else v.ejection = m.remainingMs > 0 ? { until: Date.now() + m.remainingMs, ejections: m.ejections } : undefined;
    this.#verdicts.set(key, v);
  }

  #toOthers(from: number, m: TStateToWorker): void {
    for (const id of this.#workers()) if (id !== from) this.#send(id, m);
  }
}

function splitKey(k: string): [string, string] {
  const i = k.indexOf("\0");
  return [k.slice(0, i), k.slice(i + 1)];
}
