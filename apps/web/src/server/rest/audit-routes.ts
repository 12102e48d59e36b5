import { z } from "zod";
import { listAudit } from "@switchyard/db";
import { RestError, sendJson } from "./http.ts";
import type { TRestContext } from "./router.ts";

const ZAuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  beforeId: z.coerce.number().int().min(1).optional(),
  actor: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  target: z.string().min(1).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
});

/** GET /audit?actor=&action=&target=&since=&limit=&beforeId=: newest first (append-only log). */
export async function auditRoute({ res, query, deps }: TRestContext): Promise<void> {
  const parsed = ZAuditQuery.safeParse(Object.fromEntries(query));
  if (!parsed.success) {
    throw new RestError(400, "SWY_REST_INVALID_QUERY", "invalid query string", { issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) });
  }
  const q = parsed.data;
  const rows = await listAudit(deps.db, {
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
    ...(q.beforeId !== undefined ? { beforeId: q.beforeId } : {}),
    ...(q.actor ? { actor: q.actor } : {}),
    ...(q.action ? (q.action.endsWith(".") ? { actionPrefix: q.action } : { action: q.action }) : {}),
    ...(q.target ? { target: q.target } : {}),
    ...(q.since ? { since: new Date(q.since) } : {}),
  });
  sendJson(res, 200, rows);
}
