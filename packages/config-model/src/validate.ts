import { ZConfig, type TConfig } from "./config.ts";
import { checkConsistency } from "./consistency.ts";
import { ConfigValidationError, issuesFromZod, type TConfigIssue } from "./errors.ts";

export type TValidationResult = { ok: true; config: TConfig } | { ok: false; issues: TConfigIssue[] };

/**
 * The one entry point for untrusted config (files, REST bodies, snapshots off the wire):
 * schema first (shape, defaults, exactly-one-of), then whole-snapshot consistency.
 * The result is deep-frozen so no later stage can mutate a shared config.
 */
export function validateConfig(input: unknown): TValidationResult {
  const parsed = ZConfig.safeParse(input);
  if (!parsed.success) return { ok: false, issues: issuesFromZod(parsed.error) };
  const issues = checkConsistency(parsed.data);
  if (issues.length) return { ok: false, issues };
  return { ok: true, config: deepFreeze(parsed.data) };
}

/** Like validateConfig, but throws ConfigValidationError with every issue. */
export function parseConfig(input: unknown): TConfig {
  const result = validateConfig(input);
  if (!result.ok) throw new ConfigValidationError(result.issues);
  return result.config;
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
