import http2 from "node:http2";
import type { ConnectionOptions } from "node:tls";

/**
 * One grpc.health.v1 probe (https://github.com/grpc/grpc/blob/master/doc/health-checking.md):
 * POST /grpc.health.v1.Health/Check with HealthCheckRequest{service} over h2c (or h2
 * over TLS when `tls` is given) on a fresh connection; healthy only when the answer is
 * grpc-status 0 with HealthCheckResponse.status == SERVING (1). Any other status
 * (NOT_SERVING, SERVICE_UNKNOWN, grpc errors such as UNIMPLEMENTED, timeouts, resets)
 * is unhealthy, with the reason spelled out. Self-contained so the health-check
 * scheduler (issue #3) can call it for `healthCheck.type: grpc`.
 */
export type TGrpcProbeResult = { healthy: boolean; reason: string };

export function probeGrpcHealth(
  endpoint: { address: string; port: number },
  opts: { serviceName: string; timeoutMs: number; tls?: ConnectionOptions | null; authority?: string },
): Promise<TGrpcProbeResult> {
  return new Promise((resolve) => {
    const host = endpoint.address.includes(":") ? `[${endpoint.address}]` : endpoint.address;
    const origin = `${opts.tls ? "https" : "http"}://${host}:${endpoint.port}`;
    let settled = false;
    const session = http2.connect(origin, opts.tls ? { ...opts.tls, ALPNProtocols: ["h2"] } : {});
    const done = (healthy: boolean, reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve({ healthy, reason });
    };
    const timer = setTimeout(() => done(false, `timeout after ${opts.timeoutMs} ms`), opts.timeoutMs);
    let sessionError: string | null = null;
    session.on("error", (err: Error & { code?: string }) => {
      sessionError = `connection error: ${err.code ?? err.message}`;
      done(false, sessionError);
    });
    const stream = session.request({
      ":method": "POST",
      ":path": "/grpc.health.v1.Health/Check",
      ":authority": opts.authority ?? `${host}:${endpoint.port}`,
      "content-type": "application/grpc",
      te: "trailers",
    });
    const chunks: Buffer[] = [];
    let headStatus: string | undefined;
    stream.on("response", (h) => {
      if (h[":status"] !== 200) return done(false, `HTTP status ${h[":status"]}`);
      headStatus = h["grpc-status"] as string | undefined;
    });
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("trailers", (t) => (headStatus = (t["grpc-status"] as string | undefined) ?? headStatus));
    // A dying session fails its streams first (CANCEL): report the session's cause when there is one.
    stream.on("error", (err: Error & { code?: string }) => setImmediate(() => done(false, sessionError ?? `stream error: ${err.code ?? err.message}`)));
    stream.on("close", () => setImmediate(onClose));
    const onClose = () => {
      if (settled) return;
      if (headStatus === undefined) return done(false, sessionError ?? "no grpc-status");
      if (headStatus !== "0") return done(false, `grpc-status ${headStatus}`);
      const status = decodeServingStatus(Buffer.concat(chunks));
      if (status === 1) return done(true, "SERVING");
      done(false, `status ${SERVING_STATUS[status ?? -1] ?? String(status)}`);
    };
    stream.end(encodeRequest(opts.serviceName));
  });
}

const SERVING_STATUS: Record<number, string> = { 0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN" };

/** gRPC message frame (flag 0, 4-byte length) around HealthCheckRequest { string service = 1; }. */
export function encodeRequest(service: string): Buffer {
  const s = Buffer.from(service, "utf8");
  const body = s.length ? Buffer.concat([Buffer.from([0x0a]), varint(s.length), s]) : Buffer.alloc(0);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** HealthCheckResponse { ServingStatus status = 1; } -> status (0 when the field is absent, proto3 default). */
export function decodeServingStatus(frame: Buffer): number | null {
  if (frame.length < 5) return null;
  const len = frame.readUInt32BE(1);
  const msg = frame.subarray(5, 5 + len);
  let i = 0;
  while (i < msg.length) {
    const tag = msg[i++] as number;
    if (tag === 0x08) {
      let v = 0;
      let shift = 0;
      for (;;) {
        const b = msg[i++];
        if (b === undefined) return null;
        v |= (b & 0x7f) << shift;
        if ((b & 0x80) === 0) return v;
        shift += 7;
      }
    }
    return null; // unknown field: not expected in HealthCheckResponse
  }
  return 0;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
