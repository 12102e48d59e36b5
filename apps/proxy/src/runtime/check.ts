import { findUnenforceable, validateConfig, type TConfig, type TConfigIssue, type ValidationMemo } from "@switchyard/config-model";
import { findUnusableTlsMaterial } from "@switchyard/config-model/tls";
import { outboundIssues, type TOutboundAllow } from "../upstream/outbound-allow.ts";

export type TCheckResult = { ok: true; config: TConfig } | { ok: false; error: string; issues: TConfigIssue[] };

/**
 * Everything a proxy checks before it builds anything for a version: config-model's
 * validateConfig (schema, whole config, header values, unsupported combinations) and the
 * PEM material in use (config-model/tls) — the same calls the console makes on every
 * write — then what this process cannot enforce, then the operator's --outbound-allow.
 * Shared by apply and `--validate`. `memo`: apply's ValidationMemo, so only the resources
 * that changed since the applied version go through their schemas (same answer).
 */
export function checkConfig(input: unknown, opts: { redisConfigured: boolean; outbound?: TOutboundAllow | null; memo?: ValidationMemo }): TCheckResult {
  const validated = opts.memo ? opts.memo.validate(input) : validateConfig(input);
  if (!validated.ok) return { ok: false, error: "invalid config", issues: validated.issues };
  const unusable = findUnusableTlsMaterial(validated.config);
  if (unusable.length) return { ok: false, error: "invalid config", issues: unusable };
  const unenforceable = findUnenforceable(validated.config, { redis: opts.redisConfigured });
  if (unenforceable.length) return { ok: false, error: "config cannot be enforced by this proxy process", issues: unenforceable };
  const outside = opts.outbound ? outboundIssues(validated.config, opts.outbound) : [];
  if (outside.length) return { ok: false, error: "config names destinations outside this proxy's --outbound-allow", issues: outside };
  return { ok: true, config: validated.config };
}
