import type { TEndpoint } from "@switchyard/config-model";
import type { TTryOutcome } from "../upstream/outlier.ts";

/**
 * IPC of the node-wide state (`--workers N` > 1), beside protocol.ts's config and admin
 * messages. The primary holds the counted limits (circuit-breaker slots, token buckets)
 * and hands them out in leases; one worker, the state owner, runs the health checks and
 * decides ejections, and the primary relays its verdicts to the other workers (and keeps
 * them, for a worker that applies a version or starts later).
 */

export type TStateAskBody =
  /** Slots of a circuit-breaker limit (`key`: cluster runtime key + kind). */
  | { type: "sy:slots"; key: string; limit: number; want: number }
  /** Tokens of a local rate-limit bucket (`key`: policy key + bucket key). */
  | { type: "sy:tokens"; key: string; burst: number; ratePerMs: number; want: number };
/** A worker asks; the primary answers with a `sy:grant` of the same id. */
export type TStateAsk = TStateAskBody & { id: number };

export type TStateGrant = { type: "sy:grant"; id: number; granted: number; /** token buckets: tokens left in the primary's bucket */ tokens: number };

export type THealthVerdict = { type: "sy:health"; cluster: string; hostPort: string; healthy: boolean; detail: string };
/** `remainingMs` 0: let back in. */
export type TEjectionVerdict = { type: "sy:ejection"; cluster: string; hostPort: string; remainingMs: number; ejections: number };
/** A try's outcome seen by a worker that is not the owner (failures, and the first success after one). */
export type TOutcomeReport = { type: "sy:outcome"; cluster: string; hostPort: string; outcome: TTryOutcome };

/** The owner's discovery found a set (`key`: cluster name + discovery settings); the primary numbers them per key. */
export type TEndpointsFound = { type: "sy:found"; key: string; version: number; endpoints: readonly TEndpoint[] };

export type TStateFromWorker = TStateAsk | { type: "sy:slots-back"; key: string; n: number } | THealthVerdict | TEjectionVerdict | TOutcomeReport | TEndpointsFound;
export type TStateToWorker = TStateGrant | THealthVerdict | TEjectionVerdict | TOutcomeReport | TEndpointsFound;

const TYPES = new Set(["sy:slots", "sy:tokens", "sy:slots-back", "sy:grant", "sy:health", "sy:ejection", "sy:outcome", "sy:found"]);

export function isStateMessage(m: unknown): m is TStateFromWorker | TStateToWorker {
  return typeof m === "object" && m !== null && TYPES.has((m as { type?: string }).type ?? "");
}

/** Environment variable the primary sets on the one worker that owns health checks and ejections. */
export const STATE_OWNER_ENV = "SWITCHYARD_STATE_OWNER";
