/**
 * Envoy response flags this build can set (DESIGN §4). A local reply carries its flag in
 * `x-switchyard-response-flags` and every access-log line carries it in `responseFlags`.
 * FE (ours): a filter's phase threw or rejected (filter error).
 */
export type TResponseFlag = "NR" | "UH" | "UF" | "UC" | "UT" | "DC" | "UO" | "URX" | "RL" | "UAEX" | "RBAC" | "FE";

export type TLocalReplyCause = { status: number; flag: TResponseFlag; message: string; cause: unknown };

/** Thrown/passed by the proxy itself when the route timeout fires. */
export class UpstreamTimeoutError extends Error {
  readonly code = "SWY_ERR_UPSTREAM_TIMEOUT";
  constructor(timeoutMs: number) {
    super(`upstream request timeout after ${timeoutMs} ms`);
    this.name = "UpstreamTimeoutError";
  }
}

/** A per-try timeout (retryPolicy.perTryTimeoutMs): 504 UT, and retriable. */
export class PerTryTimeoutError extends UpstreamTimeoutError {
  constructor(timeoutMs: number) {
    super(timeoutMs);
    this.message = `upstream per-try timeout after ${timeoutMs} ms`;
    this.name = "PerTryTimeoutError";
  }
}

/** The route's idleTimeoutMs passed without a byte from the upstream: 504 UT. */
export class UpstreamIdleTimeoutError extends UpstreamTimeoutError {
  constructor(timeoutMs: number) {
    super(timeoutMs);
    this.message = `upstream idle for ${timeoutMs} ms`;
    this.name = "UpstreamIdleTimeoutError";
  }
}

/** Connecting (TCP, and the TLS handshake) took longer than the cluster's connectTimeoutMs: 503 UF. */
export class UpstreamConnectTimeoutError extends Error {
  readonly code = "UND_ERR_CONNECT_TIMEOUT";
  constructor(ms: number) {
    super(`connect timeout after ${ms} ms`);
    this.name = "UpstreamConnectTimeoutError";
  }
}

/** Aborts a try whose answer is going to be retried (never reaches the client). */
export class RetryAbortError extends Error {
  readonly code = "SWY_ERR_RETRY_ABORT";
  constructor() {
    super("try abandoned for a retry");
    this.name = "RetryAbortError";
  }
}

/**
 * The request body passed the listener's limits.maxRequestBodyBytes while streaming:
 * the client gets 413 and the upstream try (if one started) is aborted, so the upstream
 * never sees a body that looks complete but was cut short.
 */
export class RequestBodyTooLargeError extends Error {
  readonly code = "SWY_ERR_REQUEST_BODY_TOO_LARGE";
  constructor(limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = "RequestBodyTooLargeError";
  }
}

/** Passed to the upstream abort when the downstream client went away. */
export class DownstreamClosedError extends Error {
  readonly code = "SWY_ERR_DOWNSTREAM_CLOSED";
  constructor() {
    super("downstream connection closed before the response completed");
    this.name = "DownstreamClosedError";
  }
}

/**
 * An HTTP/2 upstream reset our stream (RST_STREAM) before the exchange completed.
 * REFUSED_STREAM means the upstream did not process the request at all (RFC 9113 §8.7),
 * which retryOn `refused-stream` retries; any reset is retriable by `reset` / `5xx`.
 */
export class UpstreamStreamResetError extends Error {
  readonly code: "SWY_ERR_H2_REFUSED_STREAM" | "SWY_ERR_H2_STREAM_RESET";
  /** The RST_STREAM error code (RFC 9113 §7). */
  readonly h2Code: number;
  constructor(h2Code: number, refused: boolean) {
    super(`upstream reset the stream (h2 error code ${h2Code})`);
    this.name = "UpstreamStreamResetError";
    this.h2Code = h2Code;
    this.code = refused ? "SWY_ERR_H2_REFUSED_STREAM" : "SWY_ERR_H2_STREAM_RESET";
  }
}

const CONNECT_FAILURES = new Set([
  "ECONNREFUSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EADDRNOTAVAIL",
]);

/**
 * The ONE mapping from an upstream transport failure to the local reply (STYLE habit 8):
 * connect failures -> 503 UF, our route timeout -> 504 UT, downstream gone -> DC, and any
 * other reset/close before response headers -> 503 UC. The original error is kept as `cause`.
 */
export function mapUpstreamError(err: unknown): TLocalReplyCause {
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof UpstreamTimeoutError || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    return { status: 504, flag: "UT", message: "upstream request timeout", cause: err };
  }
  if (err instanceof DownstreamClosedError) {
    // Nobody reads this reply; the status is what the access log records (nginx's 499 has no Envoy analogue).
    return { status: 0, flag: "DC", message: "downstream closed", cause: err };
  }
  if (typeof code === "string" && CONNECT_FAILURES.has(code)) {
    return {
      status: 503,
      flag: "UF",
      message: `upstream connect error or disconnect/reset before headers. reset reason: connection failure (${code})`,
      cause: err,
    };
  }
  return {
    status: 503,
    flag: "UC",
    message: `upstream connect error or disconnect/reset before headers. reset reason: connection termination${typeof code === "string" ? ` (${code})` : ""}`,
    cause: err,
  };
}
