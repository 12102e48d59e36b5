import type { TEndpoint } from "@switchyard/config-model";
import type { EdsStore } from "./discovery/eds.ts";
import type { TTryOutcome } from "./outlier.ts";

/**
 * What the upstream side shares across the processes of one node (`--workers N`): the
 * circuit-breaker counts, and the health and ejection verdicts. One process alone uses
 * LOCAL_STATE (plain counters, nothing to publish); a worker gets a link to its primary
 * (workers/state-link.ts), which holds the counts and relays the verdicts, so limits,
 * probes and ejections mean what the config says for any number of workers.
 */

/** A counted limit (maxRequests, maxPendingRequests, maxRetries): take a slot, give it back. */
export type TSlotGate = {
  /** true: a slot is held (give it back with release). A promise when this process must ask the primary for more. */
  acquire(): boolean | Promise<boolean>;
  release(): void;
};

export type TSharedUpstream = {
  /** This process runs the health checks and decides ejections (a single process always does). */
  readonly owner: boolean;
  /** The node-wide gate of one limit; `key` names it (cluster runtime key + kind), `limit` is its size. */
  slots(key: string, limit: number): TSlotGate;
  /** Owner: an endpoint's health verdict changed; every other process takes it. */
  healthChanged(cluster: string, hostPort: string, healthy: boolean, detail: string): void;
  /** Owner: an endpoint was ejected for `durationMs` (or let back: 0). */
  ejectionChanged(cluster: string, hostPort: string, durationMs: number, ejections: number): void;
  /** Not the owner: a try's outcome that can move the owner's consecutive-failure counters. */
  outcome(cluster: string, hostPort: string, outcome: TTryOutcome): void;
  /** Owner: its discovery source found this endpoint set (`key`: cluster name + discovery settings). */
  endpointsFound(key: string, endpoints: readonly TEndpoint[]): void;
  /** Not the owner: the sets the owner found, relayed by the primary (null: this process discovers itself). */
  readonly relay: EdsStore | null;
};

/** A plain counter: the whole limit lives in this process. */
export class LocalSlots implements TSlotGate {
  used = 0;
  readonly #limit: number;
  constructor(limit: number) {
    this.#limit = limit;
  }
  acquire(): boolean {
    if (this.used >= this.#limit) return false;
    this.used++;
    return true;
  }
  release(): void {
    if (this.used > 0) this.used--;
  }
}

export const LOCAL_STATE: TSharedUpstream = {
  owner: true,
  slots: (_key, limit) => new LocalSlots(limit),
  healthChanged: () => undefined,
  ejectionChanged: () => undefined,
  outcome: () => undefined,
  endpointsFound: () => undefined,
  relay: null,
};
