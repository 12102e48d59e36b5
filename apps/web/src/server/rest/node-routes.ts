import { nodesWithTargets } from "../rollout/service.ts";
import { sendJson } from "./http.ts";
import type { TRestContext } from "./router.ts";

/** GET /nodes: every proxy node the console has seen and what it serves. */
export async function listNodesRoute({ res, deps }: TRestContext): Promise<void> {
  const nodes = await nodesWithTargets(deps.db);
  sendJson(
    res,
    200,
    nodes.map((n) => ({
      id: n.id,
      group: n.group,
      labels: n.labels,
      connected: n.connected,
      appliedVersion: n.appliedVersion,
      appliedHash: n.appliedHash,
      lastError: n.lastError,
      lastSeen: n.lastSeen instanceof Date ? n.lastSeen.toISOString() : n.lastSeen,
      // Beyond the contract: which version was refused, and the software the node runs.
      nackedVersion: n.nackedVersion,
      proxyVersion: n.proxyVersion,
      // Rollouts: the version the node's group should serve, what is still pending, drift (> 30 s behind).
      targetVersion: n.targetVersion,
      pendingVersion: n.pendingVersion,
      drifting: n.drifting,
      lastAckAt: n.lastAckAt?.toISOString() ?? null,
      lastNackAt: n.lastNackAt?.toISOString() ?? null,
    })),
  );
}

/** Longest a health probe waits for the database before answering 503. */
const HEALTH_TIMEOUT_MS = 2_000;

/** GET /healthz (no token): 200 when the database answers, 503 otherwise. */
export async function healthzRoute({ res, deps }: TRestContext): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      deps.db.prisma.$queryRaw`SELECT 1`,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`database did not answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
      }),
    ]);
    sendJson(res, 200, { ok: true });
  } catch (err) {
    deps.log("rest_healthz_failed", { error: err instanceof Error ? err.message : String(err) });
    sendJson(res, 503, { ok: false, error: "database unavailable" });
  } finally {
    clearTimeout(timer);
  }
}
