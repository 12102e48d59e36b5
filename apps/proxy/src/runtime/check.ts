import { findUnenforceable, validateConfig, type TConfig, type TConfigIssue } from "@switchyard/config-model";

export type TCheckResult = { ok: true; config: TConfig } | { ok: false; error: string; issues: TConfigIssue[] };

/**
 * Everything a proxy checks before it builds anything for a version: config-model's
 * validateConfig (schema, whole config, header values, unsupported combinations: the
 * same call the console makes on every write), then what this process cannot enforce.
 * Shared by apply and `--validate`.
 */
export function checkConfig(input: unknown, opts: { redisConfigured: boolean }): TCheckResult {
  const validated = validateConfig(input);
  if (!validated.ok) return { ok: false, error: "invalid config", issues: validated.issues };
  const unenforceable = findUnenforceable(validated.config, { redis: opts.redisConfigured });
  if (unenforceable.length) return { ok: false, error: "config cannot be enforced by this proxy process", issues: unenforceable };
  return { ok: true, config: validated.config };
}
