import type { TResponseFlag } from "../../upstream/errors.ts";

/**
 * gRPC status codes for local replies, following Envoy's HTTP -> gRPC mapping
 * (grpc/http_grpc_status_code_mapping): 400 INTERNAL, 401 UNAUTHENTICATED,
 * 403 PERMISSION_DENIED, 404 UNIMPLEMENTED, 429/502/503/504 UNAVAILABLE, else UNKNOWN;
 * except our own route/grpc-timeout expiry (UT), which is DEADLINE_EXCEEDED.
 */
export function grpcStatusForHttp(status: number, flag: TResponseFlag | string): number {
  if (flag === "UT") return 4; // DEADLINE_EXCEEDED
  switch (status) {
    case 400:
      return 13; // INTERNAL
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14; // UNAVAILABLE
    default:
      return 2; // UNKNOWN
  }
}

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000001 };

/** `grpc-timeout: 1-8 digits + H|M|S|m|u|n` (gRPC over HTTP/2 spec) -> ms, else null. */
export function parseGrpcTimeout(value: string | string[] | undefined): number | null {
  if (typeof value !== "string") return null;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) return null;
  return Math.ceil(Number(m[1]) * (UNIT_MS[m[2] as string] as number));
}
