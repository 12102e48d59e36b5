import type { TFaultFilter } from "@switchyard/config-model";

/** Request headers that ask for a fault when headerControl is on (Envoy: x-envoy-fault-*). */
export const FAULT_HEADERS = Object.freeze({
  delay: "x-switchyard-fault-delay-request",
  delayPercentage: "x-switchyard-fault-delay-request-percentage",
  abort: "x-switchyard-fault-abort-request",
  abortGrpc: "x-switchyard-fault-abort-grpc-request",
  abortPercentage: "x-switchyard-fault-abort-request-percentage",
});

/** The fault config compiled once per version; percentages as fractions 0..1. */
export type TFaultConfig = {
  readonly delay: { readonly ms: number; readonly fraction: number } | null;
  /** grpcStatus null = mapped from status for gRPC clients. */
  readonly abort: { readonly status: number; readonly grpcStatus: number | null; readonly fraction: number } | null;
  readonly headerControl: boolean;
  readonly maxHeaderDelayMs: number;
  /** Infinity = no limit. */
  readonly maxActiveFaults: number;
};

export function compileFault(f: TFaultFilter): TFaultConfig {
  return Object.freeze({
    delay: f.delay ? Object.freeze({ ms: f.delay.fixedDelayMs, fraction: f.delay.percentage / 100 }) : null,
    abort: f.abort
      ? Object.freeze({
          // Only a gRPC status given: HTTP clients get 503 (what UNAVAILABLE maps from).
          status: f.abort.httpStatus ?? 503,
          grpcStatus: f.abort.grpcStatus ?? (f.abort.httpStatus === undefined ? 14 : null),
          fraction: f.abort.percentage / 100,
        })
      : null,
    headerControl: f.headerControl,
    maxHeaderDelayMs: f.maxHeaderDelayMs,
    maxActiveFaults: f.maxActiveFaults ?? Infinity,
  });
}
