import { listAudit, type TAuditEntry } from "@switchyard/db";
import type { Db } from "./context.ts";

/**
 * The audit log, newest first (append-only: a database trigger refuses UPDATE/DELETE).
 * `action` is an exact action (`version.publish`) or a family ending in a dot (`rollout.`);
 * `actor` and `target` match case-insensitively anywhere in the field.
 */
export async function listAuditEntries(
  db: Db,
  q: { limit?: number | undefined; beforeId?: number | undefined; actor?: string | undefined; action?: string | undefined; target?: string | undefined; since?: string | undefined },
): Promise<TAuditEntry[]> {
  return listAudit(db, {
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
    ...(q.beforeId !== undefined ? { beforeId: q.beforeId } : {}),
    ...(q.actor ? { actor: q.actor } : {}),
    ...(q.action ? (q.action.endsWith(".") ? { actionPrefix: q.action } : { action: q.action }) : {}),
    ...(q.target ? { target: q.target } : {}),
    ...(q.since ? { since: new Date(q.since) } : {}),
  });
}
