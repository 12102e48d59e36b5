import { validateConfig, type TConfig, type TConfigIssue } from "@switchyard/config-model";
import { findInvalidHeaderValues } from "./header-values.ts";
import { outboundIssues, type TOutboundAllow } from "../upstream/outbound-allow.ts";
import { findUnsupported } from "./unsupported.ts";

export type TCheckResult = { ok: true; config: TConfig } | { ok: false; error: string; issues: TConfigIssue[] };

/**
 * Everything a proxy checks before it builds anything for a version: the config model's
 * whole-document validation, header values, features this build does not serve, and
 * policies this process cannot enforce. Shared by apply and `--validate`.
 */
export function checkConfig(input: unknown, opts: { redisConfigured: boolean; outbound?: TOutboundAllow | null }): TCheckResult {
  const validated = validateConfig(input);
  if (!validated.ok) return { ok: false, error: "invalid config", issues: validated.issues };
  const config = validated.config;
  const badValues = findInvalidHeaderValues(config);
  if (badValues.length) return { ok: false, error: "invalid config", issues: badValues };
  const unsupported = findUnsupported(config);
  if (unsupported.length) return { ok: false, error: "config uses features not supported yet by this proxy build", issues: unsupported };
  const needsRedis = opts.redisConfigured
    ? []
    : config.rateLimitPolicies.flatMap((p, i) =>
        p.scope === "global" ? [{ path: `rateLimitPolicies[${i}].scope`, message: "global rate limits need Redis: start the proxy with --redis URL (or SWITCHYARD_REDIS_URL)" }] : [],
      );
  if (needsRedis.length) return { ok: false, error: "config cannot be enforced by this proxy process", issues: needsRedis };
  const outside = opts.outbound ? outboundIssues(config, opts.outbound) : [];
  if (outside.length) return { ok: false, error: "config names destinations outside this proxy's --outbound-allow", issues: outside };
  return { ok: true, config };
}
