import type { IncomingHttpHeaders } from "node:http";
import type { TSpan } from "@switchyard/config-model";
import { extractContext, injectContext, type TIncomingContext } from "./context.ts";
import { newSpanId, newTraceId } from "./ids.ts";

/** Where finished, sampled spans go (console reporter, OTLP exporter); must not block. */
export type TSpanSink = (span: TSpan) => void;

/**
 * A listener's tracing settings, compiled once per config version. `clientDecides(peer,
 * sampled)`: whether a client's own decision (force header, sampled flag) counts; a
 * decision to trace also spends from the listener's clientSampledPerSecond budget.
 */
export type TTracingPolicy = { readonly sampleRate: number; readonly forceHeader: string; clientDecides(peer: string | undefined, sampled: boolean): boolean };

type TAttrs = Record<string, string | number | boolean>;

/** Wall clock in unix nanoseconds (as the decimal string OTLP wants), monotonic within the process. */
function nowUnixNano(): string {
  const ms = performance.timeOrigin + performance.now();
  return (BigInt(Math.floor(ms)) * 1_000_000n + BigInt(Math.round((ms % 1) * 1e6))).toString();
}

/**
 * The trace of one downstream request: one SERVER span for the request and one CLIENT
 * span per upstream try (each try gets its own span id, which is the parent id the
 * upstream sees). The sampling decision is made once, here, at the start:
 *   force header present or a decision carried by traceparent / B3 -> honoured when the
 *   client is one of the listener's trustedSources (a decision to trace also within its
 *   clientSampledPerSecond); otherwise Math.random() < sampleRate.
 * Unsampled requests still get ids (propagated with the sampled flag off, and logged as
 * traceId) but record nothing.
 */
export class RequestTrace {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly sampled: boolean;
  /** Sampled AND someone takes spans: only then are clocks read and spans built. */
  readonly recording: boolean;
  readonly #tracestate: string | null;
  readonly #b3: TIncomingContext["b3"];
  readonly #start: string;
  #tries: TSpan[] | null = null;
  #tryCount = 0;

  /** `record` false (no span sink: standalone without --otlp-endpoint) keeps only ids and the decision; `peer`: the client's address. */
  constructor(headers: IncomingHttpHeaders, policy: TTracingPolicy, record = true, peer?: string) {
    const incoming = extractContext(headers);
    this.traceId = incoming?.traceId || newTraceId();
    this.parentSpanId = incoming?.parentSpanId || null;
    this.spanId = newSpanId();
    this.#tracestate = incoming?.tracestate ?? null;
    this.#b3 = incoming?.b3 ?? "none";
    // The client's decision counts only from trusted sources, and forced traces are rate-limited (issue #20).
    const asked = headers[policy.forceHeader] !== undefined ? true : (incoming?.sampled ?? null);
    if (asked !== null && policy.clientDecides(peer, asked)) this.sampled = asked;
    else this.sampled = policy.sampleRate >= 1 ? true : policy.sampleRate <= 0 ? false : Math.random() < policy.sampleRate;
    this.recording = record && this.sampled;
    this.#start = this.recording ? nowUnixNano() : "0";
  }

  /**
   * Starts an upstream try: pushes its trace headers onto `headers` (flat list) and
   * returns the handle endTry() needs.
   */
  startTry(headers: string[]): TTry {
    const spanId = newSpanId();
    this.#tryCount++;
    injectContext(headers, this.traceId, spanId, this.spanId, this.sampled, this.#tracestate, this.#b3);
    return { spanId, start: this.recording ? nowUnixNano() : "0", attempt: this.#tryCount };
  }

  /** Ends a try: records its CLIENT span (when sampled). */
  endTry(t: TTry, name: string, attributes: TAttrs, error: boolean): void {
    if (!this.recording) return;
    (this.#tries ??= []).push({
      traceId: this.traceId,
      spanId: t.spanId,
      parentSpanId: this.spanId,
      name,
      kind: "client",
      startUnixNano: t.start,
      endUnixNano: nowUnixNano(),
      attributes: { ...attributes, "switchyard.upstream.attempt": t.attempt, "switchyard.upstream.retry": t.attempt > 1 },
      status: error ? "error" : "ok",
    });
  }

  /** Ends the request: hands the SERVER span and every try span to the sink (when sampled). */
  finish(sink: TSpanSink, name: string, attributes: TAttrs, error: boolean): void {
    if (!this.recording) return;
    const span: TSpan = {
      traceId: this.traceId,
      spanId: this.spanId,
      name,
      kind: "server",
      startUnixNano: this.#start,
      endUnixNano: nowUnixNano(),
      attributes: { ...attributes, "switchyard.upstream.tries": this.#tryCount },
      status: error ? "error" : "ok",
    };
    if (this.parentSpanId) span.parentSpanId = this.parentSpanId;
    sink(span);
    if (this.#tries) for (const s of this.#tries) sink(s);
  }
}

export type TTry = { readonly spanId: string; readonly start: string; readonly attempt: number };
