import type { TFilterLocalReply, TFilterRequest, THttpFilter } from "../api.ts";
import { FAULT_HEADERS, type TFaultConfig } from "./config.ts";

/**
 * Fault injection (Envoy's fault filter): delay a share of requests by a fixed time
 * (flag DI, the request then goes on), and/or answer a share locally with a status
 * (flag FI; after the delay when both apply). With headerControl, a request's own
 * x-switchyard-fault-* headers set the delay (ms, capped by maxHeaderDelayMs), the abort
 * status (-abort-grpc-request: a gRPC status for gRPC clients) and either percentage, in
 * place of the configured ones. Each roll is its own
 * Math.random() draw, like Envoy's runtime fractional percentages. With maxActiveFaults,
 * a request that would start a fault while that many are in progress gets none.
 */
type TAbort = { readonly status: number; readonly grpcStatus: number | null };

export function createFaultFilter(name: string, cfg: TFaultConfig): THttpFilter {
  const abortReply = (a: TAbort): TFilterLocalReply => ({ status: a.status, flag: "FI", body: "fault filter abort\n", ...(a.grpcStatus !== null ? { grpcStatus: a.grpcStatus } : {}) });
  const decide = (req: TFilterRequest) => {
    let delayMs = cfg.delay?.ms ?? 0;
    let delayFraction = cfg.delay?.fraction ?? 0;
    let abortStatus = cfg.abort?.status ?? 0;
    let abortGrpc = cfg.abort?.grpcStatus ?? null;
    let abortFraction = cfg.abort?.fraction ?? 0;
    if (cfg.headerControl) {
      const d = numberHeader(req, FAULT_HEADERS.delay);
      if (d !== null && d >= 0) {
        delayMs = Math.min(d, cfg.maxHeaderDelayMs);
        delayFraction = cfg.delay?.fraction ?? 1;
      }
      const a = numberHeader(req, FAULT_HEADERS.abort);
      if (a !== null && Number.isInteger(a) && a >= 200 && a <= 599) {
        abortStatus = a;
        abortGrpc = null;
        abortFraction = cfg.abort?.fraction ?? 1;
      }
      const g = numberHeader(req, FAULT_HEADERS.abortGrpc);
      if (g !== null && Number.isInteger(g) && g >= 0 && g <= 16) {
        abortGrpc = g;
        if (abortStatus === 0) abortStatus = 503;
        abortFraction = cfg.abort?.fraction ?? 1;
      }
      const dp = numberHeader(req, FAULT_HEADERS.delayPercentage);
      if (dp !== null && dp >= 0 && dp <= 100) delayFraction = dp / 100;
      const ap = numberHeader(req, FAULT_HEADERS.abortPercentage);
      if (ap !== null && ap >= 0 && ap <= 100) abortFraction = ap / 100;
    }
    const delay = delayMs > 0 && roll(delayFraction) ? delayMs : 0;
    const abort: TAbort | null = abortStatus > 0 && roll(abortFraction) ? { status: abortStatus, grpcStatus: abortGrpc } : null;
    return { delay, abort };
  };
  // Faults in progress now (maxActiveFaults): shared by this version's requests, like a breaker's count.
  let active = 0;
  return {
    name,
    onRequestHeaders(req) {
      const { delay, abort } = decide(req);
      if ((delay === 0 && abort === null) || active >= cfg.maxActiveFaults) return;
      if (delay === 0) return abortReply(abort as TAbort);
      req.addResponseFlag("DI");
      active++;
      return new Promise<TFilterLocalReply | undefined>((resolve) =>
        setTimeout(() => {
          active--;
          resolve(abort !== null ? abortReply(abort) : undefined);
        }, delay),
      );
    },
  };
}

function roll(fraction: number): boolean {
  return fraction >= 1 || (fraction > 0 && Math.random() < fraction);
}

function numberHeader(req: TFilterRequest, name: string): number | null {
  const v = req.headers.get(name);
  if (v === undefined || v.trim() === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
