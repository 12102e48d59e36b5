import { z } from "zod";

/**
 * One line of the proxy's JSON access log (DESIGN §4; field names are a contract), as an
 * operator pastes it from `kubectl logs` or a log search: the fields "why this 503" needs.
 */
export const ZAccessLogLine = z.object({
  time: z.string().refine((t) => !Number.isNaN(Date.parse(t)), "must be a time"),
  status: z.number().int(),
  responseFlags: z.string().default("-"),
  durationMs: z.number().min(0).default(0),
  upstreamHost: z.string().nullable().default(null),
  route: z.string().nullable().default(null),
  cluster: z.string().nullable().default(null),
  traceId: z.string().nullable().default(null),
  requestId: z.string().optional(),
  attempts: z.number().int().min(0).default(1),
});
export type TAccessLogLine = z.infer<typeof ZAccessLogLine>;

/** The line parsed, or why it is not an access-log line. */
export function parseAccessLogLine(text: string): { ok: true; line: TAccessLogLine } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text.trim());
  } catch {
    return { ok: false, error: "not JSON: paste one line of the proxy's access log (the default JSON format)" };
  }
  const parsed = ZAccessLogLine.safeParse(json);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join(".") || "line"}: ${i.message}`).join("; ") };
  return { ok: true, line: parsed.data };
}
