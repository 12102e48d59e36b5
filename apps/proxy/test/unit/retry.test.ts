import { describe, expect, it } from "vitest";
import { backoffMs, retriableFailure, retriableStatus } from "../../src/filters/router/retry.ts";
import type { TCompiledRetryPolicy } from "../../src/router/types.ts";
import { cookieValue } from "../../src/filters/router/hash.ts";
import { shadowHost } from "../../src/filters/router/mirror.ts";
import { TokenBucket } from "../../src/filters/rate-limit/token-bucket.ts";
import { UpstreamStreamResetError, mapUpstreamError } from "../../src/upstream/errors.ts";

const policy = (o: Partial<TCompiledRetryPolicy> = {}): TCompiledRetryPolicy => ({
  numRetries: 1, perTryTimeoutMs: 0, backoffBaseMs: 25, backoffMaxMs: 250,
  on5xx: false, onGatewayError: false, onConnectFailure: false, onReset: false, onRefusedStream: false, onRetriable4xx: false,
  statusCodes: new Set(), maxBufferBytes: 1_048_576, ...o,
});

describe("retry conditions", () => {
  it("maps statuses and failures to retryOn conditions", () => {
    expect(retriableStatus(policy({ on5xx: true }), 500)).toBe(true);
    expect(retriableStatus(policy({ onGatewayError: true }), 500)).toBe(false);
    expect(retriableStatus(policy({ onGatewayError: true }), 504)).toBe(true);
    expect(retriableStatus(policy({ onRetriable4xx: true }), 409)).toBe(true);
    expect(retriableStatus(policy({ statusCodes: new Set([418]) }), 418)).toBe(true);
    const uf = { status: 503, flag: "UF" as const, message: "", cause: null };
    const uc = { status: 503, flag: "UC" as const, message: "", cause: null };
    expect(retriableFailure(policy({ onConnectFailure: true }), uf, false)).toBe(true);
    expect(retriableFailure(policy({ onConnectFailure: true }), uc, false)).toBe(false);
    expect(retriableFailure(policy({ onReset: true }), uc, false)).toBe(true);
    expect(retriableFailure(policy({ onGatewayError: true }), uc, true)).toBe(true);
  });

  it("refused-stream matches only an h2 REFUSED_STREAM (code 7); reset matches any stream reset", () => {
    const refused = mapUpstreamError(new UpstreamStreamResetError(7, true));
    const internal = mapUpstreamError(new UpstreamStreamResetError(2, false));
    expect([refused.status, refused.flag, internal.status, internal.flag]).toEqual([503, "UC", 503, "UC"]);
    expect(retriableFailure(policy({ onRefusedStream: true }), refused, false)).toBe(true);
    expect(retriableFailure(policy({ onRefusedStream: true }), internal, false)).toBe(false);
    expect(retriableFailure(policy({ onReset: true }), refused, false)).toBe(true);
    expect(retriableFailure(policy({ onReset: true }), internal, false)).toBe(true);
  });

  it("back-off is fully jittered under min(max, base * 2^(n-1))", () => {
    const p = policy();
    expect(backoffMs(p, 1, () => 0.999)).toBe(24);
    expect(backoffMs(p, 3, () => 0.999)).toBe(99);
    expect(backoffMs(p, 10, () => 0.999)).toBe(249);
    expect(backoffMs(p, 4, () => 0)).toBe(0);
  });
});

describe("small request-path helpers", () => {
  it("cookieValue finds one cookie", () => {
    expect(cookieValue("a=1; sid=xyz; b=2", "sid")).toBe("xyz");
    expect(cookieValue("a=1", "sid")).toBeUndefined();
  });

  it("shadowHost appends -shadow before the port", () => {
    expect(shadowHost("api.test:8080")).toBe("api.test-shadow:8080");
    expect(shadowHost("api.test")).toBe("api.test-shadow");
    expect(shadowHost("[::1]:80")).toBe("[::1]-shadow:80");
  });

  it("token bucket: burst, then refill at the rate", () => {
    const b = new TokenBucket(2, 0);
    expect([b.take(2, 0.001, 0), b.take(2, 0.001, 0), b.take(2, 0.001, 0)]).toEqual([true, true, false]);
    expect(b.take(2, 0.001, 999)).toBe(false);
    expect(b.take(2, 0.001, 1_001)).toBe(true);
  });
});
