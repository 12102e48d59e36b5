import { knownPlugins, listAudit, AUDIT_ACTIONS, type Db } from "@switchyard/db";
import { nodesWithTargets } from "../rollout/service.ts";

/**
 * Proxy nodes known to the control plane, connected first, then by id; each with its
 * target version (its group's), pending version and drift flag (> 30 s behind).
 */
export async function listNodes(db: Db) {
  const nodes = await nodesWithTargets(db);
  return [...nodes].sort((a, b) => Number(b.connected) - Number(a.connected) || a.id.localeCompare(b.id));
}

/** Recent refused node connections (bad or revoked token, wrong group), newest first. */
export async function recentRefusals(db: Db, limit = 20) {
  const rows = await listAudit(db, { action: AUDIT_ACTIONS.nodeRefused, limit });
  return rows.map((r) => {
    const d = (r.details ?? {}) as { nodeId?: string | null; group?: string | null; reason?: string };
    return { id: r.id, at: r.at, ip: r.ip, nodeId: d.nodeId ?? null, group: d.group ?? null, reason: d.reason ?? "" };
  });
}

/** Plugins connected nodes announced (module, name, version, JSON Schema, nodes): the listener form's plugin picker and config form. */
export function announcedPlugins(db: Db) {
  return knownPlugins(db);
}
