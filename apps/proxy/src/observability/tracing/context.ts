import type { IncomingHttpHeaders } from "node:http";

/**
 * Trace context propagation formats (DESIGN §4 "Tracing"):
 * - W3C Trace Context: `traceparent: 00-<trace-id 32 hex>-<parent-id 16 hex>-<flags 2 hex>`
 *   plus an opaque `tracestate` passed through unchanged;
 * - B3 multi header: `x-b3-traceid` (16 or 32 hex), `x-b3-spanid`, `x-b3-parentspanid`,
 *   `x-b3-sampled` (1/0/true/false), `x-b3-flags: 1` (debug = sampled);
 * - B3 single header: `b3: {traceid}-{spanid}[-{sampled}[-{parentspanid}]]` or `b3: {sampled}`.
 * W3C wins when a request carries both. 64-bit B3 trace ids are left-padded with zeros
 * to 128 bits, as the B3 spec and OpenTelemetry do.
 */

/** What a request brought: null ids when it carried no (valid) context. */
export type TIncomingContext = {
  readonly traceId: string;
  readonly parentSpanId: string;
  /** true / false = the caller decided; null = no decision (we sample by rate). */
  readonly sampled: boolean | null;
  readonly tracestate: string | null;
  /** Which format(s) to write back upstream besides traceparent. */
  readonly b3: "none" | "single" | "multi";
};

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO32 = "0".repeat(32);
const ZERO16 = "0".repeat(16);

/** Parses a W3C traceparent; null when absent or invalid (the spec says: start a new trace). */
export function parseTraceparent(value: string | undefined): { traceId: string; parentSpanId: string; sampled: boolean } | null {
  if (typeof value !== "string" || value.length < 55) return null;
  const v = value.trim().toLowerCase();
  const version = v.slice(0, 2);
  // Version ff is forbidden; future versions may append fields after a dash (55 chars min).
  if (version === "ff" || !/^[0-9a-f]{2}$/.test(version)) return null;
  if (v[2] !== "-" || v[35] !== "-" || v[52] !== "-") return null;
  if (version === "00" && v.length !== 55) return null;
  const traceId = v.slice(3, 35);
  const parentSpanId = v.slice(36, 52);
  const flags = v.slice(53, 55);
  if (!HEX32.test(traceId) || traceId === ZERO32 || !HEX16.test(parentSpanId) || parentSpanId === ZERO16 || !/^[0-9a-f]{2}$/.test(flags)) return null;
  return { traceId, parentSpanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`;
}

function b3TraceId(v: string | undefined): string | null {
  if (typeof v !== "string") return null;
  const id = v.trim().toLowerCase();
  if (HEX32.test(id)) return id === ZERO32 ? null : id;
  if (HEX16.test(id)) return id === ZERO16 ? null : ZERO16 + id;
  return null;
}

function b3SpanId(v: string | undefined): string | null {
  if (typeof v !== "string") return null;
  const id = v.trim().toLowerCase();
  return HEX16.test(id) && id !== ZERO16 ? id : null;
}

function b3Sampled(v: string | undefined): boolean | null {
  if (v === "1" || v === "true" || v === "d") return true;
  if (v === "0" || v === "false") return false;
  return null;
}

/** Reads whichever context the request carries (W3C first, then B3 single, then B3 multi). */
export function extractContext(headers: IncomingHttpHeaders): TIncomingContext | null {
  const single = headers.b3;
  const hasB3Multi = headers["x-b3-traceid"] !== undefined;
  const b3: TIncomingContext["b3"] = typeof single === "string" ? "single" : hasB3Multi ? "multi" : "none";
  const tp = parseTraceparent(headers.traceparent as string | undefined);
  if (tp) {
    const ts = headers.tracestate;
    return { ...tp, tracestate: typeof ts === "string" && ts.length > 0 ? ts : null, b3 };
  }
  if (typeof single === "string") {
    const parts = single.trim().toLowerCase().split("-");
    if (parts.length === 1) {
      // Only a sampling decision ("0", "1", "d"): no ids to continue.
      const sampled = b3Sampled(parts[0]);
      return sampled === null ? null : { traceId: "", parentSpanId: "", sampled, tracestate: null, b3 };
    }
    const traceId = b3TraceId(parts[0]);
    const spanId = b3SpanId(parts[1]);
    if (traceId && spanId) return { traceId, parentSpanId: spanId, sampled: b3Sampled(parts[2]), tracestate: null, b3 };
    return null;
  }
  if (hasB3Multi) {
    const traceId = b3TraceId(headers["x-b3-traceid"] as string);
    const spanId = b3SpanId(headers["x-b3-spanid"] as string | undefined);
    const debug = headers["x-b3-flags"] === "1";
    const sampled = debug ? true : b3Sampled(headers["x-b3-sampled"] as string | undefined);
    if (traceId && spanId) return { traceId, parentSpanId: spanId, sampled, tracestate: null, b3 };
    return sampled === null ? null : { traceId: "", parentSpanId: "", sampled, tracestate: null, b3 };
  }
  return null;
}

/** Incoming trace headers the proxy rewrites (dropped from the copy sent upstream). */
export const TRACE_HEADERS: ReadonlySet<string> = new Set([
  "traceparent",
  "tracestate",
  "b3",
  "x-b3-traceid",
  "x-b3-spanid",
  "x-b3-parentspanid",
  "x-b3-sampled",
  "x-b3-flags",
]);

/**
 * Pushes the upstream request's context (flat [name, value, ...] list): always W3C, plus
 * B3 in the format the request came in with, so B3-only services keep their traces.
 */
export function injectContext(
  out: string[],
  traceId: string,
  spanId: string,
  parentSpanId: string | null,
  sampled: boolean,
  tracestate: string | null,
  b3: TIncomingContext["b3"],
): void {
  out.push("traceparent", formatTraceparent(traceId, spanId, sampled));
  if (tracestate !== null) out.push("tracestate", tracestate);
  if (b3 === "single") {
    out.push("b3", `${traceId}-${spanId}-${sampled ? "1" : "0"}${parentSpanId ? `-${parentSpanId}` : ""}`);
  } else if (b3 === "multi") {
    out.push("x-b3-traceid", traceId, "x-b3-spanid", spanId, "x-b3-sampled", sampled ? "1" : "0");
    if (parentSpanId) out.push("x-b3-parentspanid", parentSpanId);
  }
}
