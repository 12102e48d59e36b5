import { createHash } from "node:crypto";

/**
 * The arithmetic of stepped rollouts (#19 item 7), pure: which of a group's nodes serve the
 * new version at a step. Every node has a position in [0, 1) derived from its id alone, the
 * same on every console replica and in every rollout; a step serves the new version to the
 * nodes whose position is below the step's cut. The cut is set when the step starts, from
 * the group's nodes connected then, so the step holds exactly its share of them; a node
 * that joins later falls on one side of the cut by its position, and so gets the step's
 * assignment without moving anyone else.
 */

/** A node's place in every stepped rollout: the first 32 bits of sha256(node id), in [0, 1). */
export function stepPosition(nodeId: string): number {
  return createHash("sha256").update(nodeId).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * The cut of a step serving `percent` of the nodes whose ids are given: the first
 * ceil(percent% of them) by position (at least one) are below it. Never lower than
 * `previousCut`, so a node that served the new version keeps it at the next step.
 * null = every node of the group (100 %, or the last step).
 */
export function cutFor(percent: number, nodeIds: readonly string[], previousCut: number | null = null): number | null {
  if (percent >= 100) return null;
  const positions = nodeIds.map(stepPosition).sort((a, b) => a - b);
  let cut: number;
  if (positions.length === 0) cut = percent / 100;
  else {
    const k = Math.max(1, Math.ceil((percent / 100) * positions.length));
    // Half-way to the next node: the k chosen nodes are below, the next one is not.
    cut = k >= positions.length ? 1 : (positions[k - 1]! + positions[k]!) / 2;
  }
  return previousCut === null ? cut : Math.max(cut, previousCut);
}

/** Whether a node serves the new version under `cut` (null = the whole group does). */
export function inStep(nodeId: string, cut: number | null): boolean {
  return cut === null || stepPosition(nodeId) < cut;
}
