import {
  appendRolloutEvent,
  getDeployTargets,
  getRollout,
  listActiveRollouts,
  listNodes,
  listRollouts,
  promoteRollout,
  readGroupWindow,
  rollBackRollout,
  stepPosition,
  targetOf,
  type Db,
} from "@switchyard/db";
import { bakeDecision, checkRollout } from "./guard.ts";

/**
 * Rollout reactions and views: a nack from a canary node stops its rollout; acks are
 * recorded as rollout events; the node registry gets each node's target and drift.
 */

/** A node that serves another version than its target for longer than this drifts. */
export const DRIFT_AFTER_MS = 30_000;
/** Connected nodes are touched on every heartbeat pong (15 s); 4 missed beats mean its console is gone. */
export const STALE_AFTER_MS = 60_000;

export async function onNodeNack(db: Db, node: { nodeId: string; group: string }, version: number, error: string): Promise<boolean> {
  for (const r of await listActiveRollouts(db)) {
    if (r.group !== node.group || r.version !== version) continue;
    const { changed } = await rollBackRollout(db, r.id, {
      actor: "rollout",
      kind: "node_nack",
      reason: `node ${node.nodeId} refused v${version}: ${error.split("\n")[0]}`,
      details: { nodeId: node.nodeId, error },
    });
    return changed;
  }
  return false;
}

export async function onNodeAck(db: Db, node: { nodeId: string; group: string }, version: number): Promise<void> {
  for (const r of await listActiveRollouts(db)) {
    if (r.group === node.group && r.version === version) await appendRolloutEvent(db, r.id, "node_ack", `node ${node.nodeId} applied v${version}`, { nodeId: node.nodeId });
  }
}

export type TNodeView = Awaited<ReturnType<typeof listNodes>>[number] & {
  targetVersion: number | null;
  pendingVersion: number | null;
  drifting: boolean;
  lastAck: Date | null;
};

/** The registry with each node's target, pending version and drift flag. */
export async function nodesWithTargets(db: Db, nowMs = Date.now()): Promise<TNodeView[]> {
  const [nodes, targets] = await Promise.all([listNodes(db), getDeployTargets(db)]);
  return nodes.map((n) => {
    const target = targetOf(targets, n);
    const behind = target !== null && n.appliedVersion !== target.version;
    return {
      ...n,
      // A row still "connected" whose console died stops being refreshed by heartbeats.
      connected: n.connected && n.lastSeen !== null && nowMs - n.lastSeen.getTime() < STALE_AFTER_MS,
      targetVersion: target?.version ?? null,
      pendingVersion: behind ? target.version : null,
      drifting: behind && nowMs - target.since.getTime() > DRIFT_AFTER_MS,
      lastAck: n.lastAckAt,
    };
  });
}

export async function rolloutList(db: Db, limit = 20) {
  return listRollouts(db, { limit });
}

/**
 * One rollout with its events, its group's nodes (for a stepped rollout, each with its
 * position and whether the current step serves it the new version), the guard's current
 * figures and, for a stepped rollout, where its step's bake stands.
 */
export async function rolloutDetail(db: Db, id: number) {
  const rollout = await getRollout(db, id);
  if (!rollout) return null;
  const guard = rollout.state === "canary" ? await checkRollout({ readGroupWindow: (g, f, t, v) => readGroupWindow(db, g, f, t, v) }, rollout) : null;
  const nodes = (await nodesWithTargets(db))
    .filter((n) => n.group === rollout.group)
    .map((n) => ({ ...n, position: Math.round(stepPosition(n.id) * 10_000) / 10_000, onRolloutVersion: n.targetVersion === rollout.version }));
  return { rollout, guard, bake: bakeDecision(rollout, guard), nodes };
}

export { promoteRollout, rollBackRollout };
