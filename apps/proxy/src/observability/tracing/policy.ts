import type { TListener } from "@switchyard/config-model";
import { TokenBucket } from "../../filters/rate-limit/token-bucket.ts";
import { compileAddressSet } from "../../listener/address-set.ts";
import type { TTracingPolicy } from "./request-trace.ts";

/** Defaults when `tracing` or its fields are absent (documented in config-model's listener.ts). */
const DEFAULT_TRACE_SAMPLE_RATE = 0.01;
const DEFAULT_FORCE_HEADER = "x-switchyard-force-trace";
const DEFAULT_CLIENT_SAMPLED_PER_SECOND = 10;

/**
 * A listener's tracing policy, built once per version. A client's sampling decision counts
 * only from `trustedSources`; a decision to trace also spends from a per-listener budget
 * of `clientSampledPerSecond` (one second's worth as the burst), so even a trusted caller
 * cannot have every request traced into the console's database.
 */
export function compileTracingPolicy(tracing: TListener["tracing"]): TTracingPolicy {
  const trusted = compileAddressSet(tracing?.trustedSources ?? []);
  const perSecond = tracing?.clientSampledPerSecond ?? DEFAULT_CLIENT_SAMPLED_PER_SECOND;
  const bucket = new TokenBucket(perSecond, performance.now());
  return Object.freeze({
    sampleRate: tracing?.sampleRate ?? DEFAULT_TRACE_SAMPLE_RATE,
    // node:http lower-cases incoming header names.
    forceHeader: (tracing?.forceHeader ?? DEFAULT_FORCE_HEADER).toLowerCase(),
    clientDecides: (peer: string | undefined, sampled: boolean) => trusted(peer) && (!sampled || bucket.take(perSecond, perSecond / 1000, performance.now())),
  });
}
