import type { TCompiledRetryPolicy } from "../../router/types.ts";
import type { TLocalReplyCause } from "../../upstream/errors.ts";

/**
 * Retry decisions (Envoy's x-envoy-retry-on semantics) and back-off, pure functions.
 *   5xx                    any 5xx answer, and no answer at all (connect failure, reset, per-try timeout)
 *   gateway-error          502 / 503 / 504, connect failures and per-try timeouts
 *   connect-failure        the connection could not be made (UF)
 *   reset                  disconnect/reset before response headers (UC), per-try timeout
 *   refused-stream         an HTTP/2 RST_STREAM REFUSED_STREAM before response headers (H2Pool)
 *   retriable-4xx          409
 *   retriable-status-codes the listed statuses
 */

export function retriableStatus(p: TCompiledRetryPolicy, status: number): boolean {
  if (status >= 500) {
    if (p.on5xx) return true;
    if (p.onGatewayError && (status === 502 || status === 503 || status === 504)) return true;
  }
  if (status === 409 && p.onRetriable4xx) return true;
  return p.statusCodes.has(status);
}

/** `failure` is the mapped transport failure; `perTryTimeout` marks our own per-try timer. */
export function retriableFailure(p: TCompiledRetryPolicy, failure: TLocalReplyCause, perTryTimeout: boolean): boolean {
  if (perTryTimeout) return p.on5xx || p.onGatewayError || p.onReset;
  if (failure.flag === "UF") return p.on5xx || p.onGatewayError || p.onConnectFailure;
  if (failure.flag === "UC") {
    const code = (failure.cause as { code?: unknown } | null)?.code;
    if (p.onRefusedStream && code === "SWY_ERR_H2_REFUSED_STREAM") return true;
    return p.on5xx || p.onReset;
  }
  return false;
}

/**
 * Fully jittered exponential back-off: a uniform delay in [0, min(max, base * 2^(retry-1))),
 * retry = 1 for the first retry (Envoy's JitteredExponentialBackOffStrategy).
 */
export function backoffMs(p: TCompiledRetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(p.backoffMaxMs, p.backoffBaseMs * 2 ** Math.min(retry - 1, 30));
  return Math.floor(random() * ceiling);
}
