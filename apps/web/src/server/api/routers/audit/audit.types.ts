import { z } from "zod";

/** The audit log's filters (tRPC audit.list and GET /api/v1/audit). */
export const ZListAuditInput = z.object({
  /** Empty filters are ignored. */
  actor: z.string().trim().max(200).optional(),
  /** An exact action (`version.publish`) or a family ending in a dot (`rollout.`). */
  action: z.string().trim().max(100).optional(),
  target: z.string().trim().max(200).optional(),
  /** Only entries at or after this time (ISO 8601 with offset). */
  since: z.iso.datetime({ offset: true }).optional(),
  /** Pages back: entries with a smaller id than the previous page's last. */
  beforeId: z.number().int().min(1).optional(),
  limit: z.number().int().min(1).max(1000).default(100),
});
