import type { TEndpoint } from "@switchyard/config-model";
import type { TTokenSource } from "../filters/rate-limit/leased.ts";
import { EdsStore } from "../upstream/discovery/eds.ts";
import type { TTryOutcome } from "../upstream/outlier.ts";
import type { TSharedUpstream, TSlotGate } from "../upstream/shared-state.ts";
import { isStateMessage, type TStateAsk, type TStateAskBody, type TStateFromWorker, type TStateGrant, type TStateToWorker } from "./state-protocol.ts";

/**
 * A worker's side of the node-wide state (`--workers N` > 1). Limits are leased from the
 * primary: a worker takes slots and tokens from what it holds without any IPC, and asks
 * the primary (one round trip, the request waits for it) only when it holds none. It
 * keeps at most a batch - 1 spare slots and gives the rest back at once, so the node-wide
 * count never passes the limit and a worker holds back at most limit / 8 of it.
 */

export type TStateTargets = {
  /** The owner's health verdict for an endpoint (this worker is not the owner). */
  health(cluster: string, hostPort: string, healthy: boolean, detail: string): void;
  ejection(cluster: string, hostPort: string, remainingMs: number, ejections: number): void;
  /** This worker is the owner: another worker's try outcome. */
  outcome(cluster: string, hostPort: string, outcome: TTryOutcome): void;
};

export class StateLink implements TSharedUpstream, TTokenSource {
  readonly owner: boolean;
  readonly workers: number;
  readonly relay: EdsStore | null;
  readonly #asks = new Map<number, (g: TStateGrant) => void>();
  #nextId = 1;
  #targets: TStateTargets | null = null;

  constructor(owner: boolean, workers: number) {
    this.owner = owner;
    this.workers = workers;
    this.relay = owner ? null : new EdsStore();
    process.on("message", (m: unknown) => {
      if (!isStateMessage(m)) return;
      const msg = m as TStateToWorker;
      // Kept even before a cluster uses it: a version applied next starts from it.
      if (msg.type === "sy:found") return void this.relay?.push(msg.key, msg.version, msg.endpoints);
      if (msg.type === "sy:grant") {
        const resolve = this.#asks.get(msg.id);
        this.#asks.delete(msg.id);
        return resolve?.(msg);
      }
      const t = this.#targets;
      if (t === null) return;
      if (msg.type === "sy:health") t.health(msg.cluster, msg.hostPort, msg.healthy, msg.detail);
      else if (msg.type === "sy:ejection") t.ejection(msg.cluster, msg.hostPort, msg.remainingMs, msg.ejections);
      else t.outcome(msg.cluster, msg.hostPort, msg.outcome);
    });
    process.on("disconnect", () => this.#orphaned());
  }

  /** The primary is gone: what waits for it gets nothing (the worker drains anyway). */
  #orphaned(): void {
    for (const [id, resolve] of this.#asks) resolve({ type: "sy:grant", id, granted: 0, tokens: 0 });
    this.#asks.clear();
  }

  /** Where relayed verdicts and outcomes go (the cluster manager), once it exists. */
  attach(targets: TStateTargets): void {
    this.#targets = targets;
  }

  /** Without a primary (it is gone) nothing is granted: the worker is draining anyway. */
  ask(m: TStateAskBody): Promise<TStateGrant> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      if (!process.connected) return resolve({ type: "sy:grant", id, granted: 0, tokens: 0 });
      this.#asks.set(id, resolve);
      this.#send({ ...m, id } as TStateAsk);
    });
  }

  slots(key: string, limit: number): TSlotGate {
    return new LeasedSlots(this, key, limit, Math.max(1, Math.floor(limit / (8 * this.workers))));
  }

  giveBack(key: string, n: number): void {
    this.#send({ type: "sy:slots-back", key, n });
  }

  healthChanged(cluster: string, hostPort: string, healthy: boolean, detail: string): void {
    this.#send({ type: "sy:health", cluster, hostPort, healthy, detail });
  }

  ejectionChanged(cluster: string, hostPort: string, remainingMs: number, ejections: number): void {
    this.#send({ type: "sy:ejection", cluster, hostPort, remainingMs, ejections });
  }

  outcome(cluster: string, hostPort: string, outcome: TTryOutcome): void {
    this.#send({ type: "sy:outcome", cluster, hostPort, outcome });
  }

  endpointsFound(key: string, endpoints: readonly TEndpoint[]): void {
    this.#send({ type: "sy:found", key, version: 0, endpoints });
  }

  takeTokens(key: string, burst: number, ratePerMs: number, want: number): Promise<{ granted: number; tokens: number }> {
    return this.ask({ type: "sy:tokens", key, burst, ratePerMs, want });
  }

  #send(m: TStateFromWorker): void {
    if (process.connected) process.send?.(m);
  }
}

/** After the primary refused a slot, this worker refuses without asking for this long. */
const REFUSAL_HOLD_MS = 1;

/** One limit's lease in this worker: `held` slots granted by the primary, `used` of them taken. */
class LeasedSlots implements TSlotGate {
  held = 0;
  used = 0;
  readonly #link: StateLink;
  readonly #key: string;
  readonly #limit: number;
  readonly #batch: number;
  #refusedUntil = 0;

  constructor(link: StateLink, key: string, limit: number, batch: number) {
    this.#link = link;
    this.#key = key;
    this.#limit = limit;
    this.#batch = batch;
  }

  acquire(): boolean | Promise<boolean> {
    if (this.used < this.held) {
      this.used++;
      return true;
    }
    // Refused a moment ago: the node is at its limit. Refuse here, so an overload does not
    // turn every refused request into a round trip (a slot another worker frees within
    // REFUSAL_HOLD_MS is missed: a request or two refused early, never one too many admitted).
    if (performance.now() < this.#refusedUntil) return false;
    return this.#link.ask({ type: "sy:slots", key: this.#key, limit: this.#limit, want: this.#batch }).then((g) => {
      this.held += g.granted;
      if (this.used >= this.held) {
        this.#refusedUntil = performance.now() + REFUSAL_HOLD_MS;
        return false;
      }
      this.used++;
      // More than needed (a batch): the spare stays for the next requests.
      this.#trim();
      return true;
    });
  }

  release(): void {
    if (this.used === 0) return;
    this.used--;
    this.#refusedUntil = 0;
    this.#trim();
  }

  /** Keeps at most batch - 1 spare slots (none with a batch of 1: small limits stay exact). */
  #trim(): void {
    const spare = this.held - this.used - (this.#batch - 1);
    if (spare <= 0) return;
    this.held -= spare;
    this.#link.giveBack(this.#key, spare);
  }
}
