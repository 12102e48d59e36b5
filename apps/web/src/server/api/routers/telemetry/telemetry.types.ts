import { z } from "zod";

/** Time ranges the dashboards offer, in seconds: 5 min to 24 h. */
export const RANGES_S = [300, 900, 3600, 6 * 3600, 24 * 3600] as const;
export const ZKind = z.enum(["route", "cluster"]);

/** `window` in seconds: default 300 (5 min), at most 7 days (the rollup retention default). */
export const ZSummaryInput = z.object({
  kind: ZKind,
  window: z.number({ error: "must be a number of seconds" }).int("must be a whole number of seconds").min(1, "must be >= 1").max(604_800, "must be <= 604800 (7 days)").default(300),
});
export const ZSeriesInput = z.object({ kind: ZKind, name: z.string().max(128).optional(), rangeS: z.number().int().refine((r) => (RANGES_S as readonly number[]).includes(r), "must be one of 300, 900, 3600, 21600, 86400") });
export const ZTopologyInput = z.object({ windowS: z.number().int().min(10).max(86_400).default(60) });
export const ZTraceInput = z.object({ traceId: z.string().regex(/^[0-9a-f]{32}$/, "must be 32 lower-case hex digits") });
export const ZMarkersInput = ZSeriesInput.pick({ rangeS: true });
/** One access-log line (at most 16 KiB) and, optionally, the node that wrote it. */
export const ZExplainLogInput = z.object({ line: z.string().min(1, "paste one access-log line").max(16_384, "one line, at most 16 KiB"), nodeId: z.string().max(200).optional() });
