import type { THealthMessage, TSpansMessage, TStatsMessage } from "@switchyard/config-model";
import { Budget } from "../limits/budget.ts";

/**
 * What one node may cost the console (issue #20: one node token could store GBs of stats
 * rows and stall every dashboard). Frames are charged by size before they are decoded,
 * stats frames are counted per node, and telemetry timestamps must be about now. A proxy
 * stays far inside: a stats window every 5 s (100 ms at the shortest), a span batch a
 * second, a backlog of at most 256 queued messages after a reconnect.
 */
export const NODE_LIMITS = {
  /** Bytes of frames: a burst (a backlog after reconnecting; one frame of the largest size), then a steady rate. */
  burstBytes: 2 * 1024 * 1024 + 64 * 1024,
  bytesPerSecond: 256 * 1024,
  /** Charged per frame on top of its size, so floods of tiny frames run dry too. */
  frameCostBytes: 2 * 1024,
  /** Longest pause of reading a node over its byte budget (the heartbeat allows 2 x 15 s). */
  maxPauseMs: 10_000,
  /** Stats frames: the proxy's queue of 256 as a burst, then 10 a second (its 100 ms minimum window). */
  statsBurst: 300,
  statsPerSecond: 10,
  /** Telemetry writes of one connection waiting for the database; beyond, frames are dropped. */
  pendingWrites: 16,
  /** Telemetry timestamps: at most this old (a node's queue while the console was away) or this far ahead (clock skew). */
  maxAgeMs: 6 * 3_600_000,
  maxAheadMs: 5 * 60_000,
  /** The longest stats window a proxy reports (--stats-interval-ms <= 300 000). */
  maxWindowMs: 300_000,
} as const;

export type TNodeBudget = { bytes: Budget; stats: Budget };

export function newNodeBudget(now = Date.now()): TNodeBudget {
  return {
    bytes: new Budget(NODE_LIMITS.burstBytes, NODE_LIMITS.bytesPerSecond, now),
    stats: new Budget(NODE_LIMITS.statsBurst, NODE_LIMITS.statsPerSecond, now),
  };
}

/** Budgets by node id: a reconnect does not refill them; full ones are forgotten by prune(). */
export class NodeBudgets {
  readonly #byNode = new Map<string, TNodeBudget>();

  of(nodeId: string): TNodeBudget {
    let b = this.#byNode.get(nodeId);
    if (!b) this.#byNode.set(nodeId, (b = newNodeBudget()));
    return b;
  }

  /** Drops budgets that are full again and whose node is not connected (bounded memory for ids that come and go). */
  prune(connected: (nodeId: string) => boolean): void {
    const now = Date.now();
    for (const [id, b] of this.#byNode) if (!connected(id) && b.bytes.full(now) && b.stats.full(now)) this.#byNode.delete(id);
  }
}

/** The frame's cost against the byte budget. */
export function frameCost(bytes: number): number {
  return bytes + NODE_LIMITS.frameCostBytes;
}

function outsideNow(ms: number, now: number): boolean {
  return !(ms >= now - NODE_LIMITS.maxAgeMs && ms <= now + NODE_LIMITS.maxAheadMs);
}

/** Why a telemetry frame's times are refused (null: about now), so no row lands in year 275760 or 1970. */
export function telemetryTimeProblem(msg: TStatsMessage | THealthMessage | TSpansMessage, now = Date.now()): string | null {
  const range = `within ${NODE_LIMITS.maxAgeMs / 3_600_000} h before and ${NODE_LIMITS.maxAheadMs / 60_000} min after the console's clock`;
  switch (msg.type) {
    case "stats":
      if (outsideNow(msg.windowStart, now) || outsideNow(msg.windowEnd, now)) return `stats window ${msg.windowStart}..${msg.windowEnd}: must be ${range}`;
      if (msg.windowEnd < msg.windowStart || msg.windowEnd - msg.windowStart > NODE_LIMITS.maxWindowMs) return `stats window ${msg.windowStart}..${msg.windowEnd}: must end after it starts, at most ${NODE_LIMITS.maxWindowMs} ms later`;
      return null;
    case "health": {
      const bad = msg.events.findIndex((e) => outsideNow(e.at, now));
      return bad === -1 ? null : `events[${bad}].at: must be ${range}`;
    }
    case "spans": {
      const bad = msg.spans.findIndex((s) => {
        const start = Number(BigInt(s.startUnixNano) / 1_000_000n);
        const end = Number(BigInt(s.endUnixNano) / 1_000_000n);
        return outsideNow(start, now) || outsideNow(end, now) || end < start;
      });
      return bad === -1 ? null : `spans[${bad}]: start and end must be ${range}, the end after the start`;
    }
  }
}
