import { z } from "zod";

/** Resource names: unique per kind, safe in metric labels, URLs and log lines. */
export const ZName = z
  .string()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must start with a letter or digit and use only letters, digits, '.', '_' and '-'");

/** Durations are whole milliseconds; 0 means "none" where a field says so. */
export const ZDurationMs = z.number().int("must be a whole number of milliseconds").min(0, "must be >= 0");

export const ZPort = z.number().int("must be an integer").min(1, "must be >= 1").max(65535, "must be <= 65535");

export const ZHttpHeaderName = z
  .string()
  .min(1, "must not be empty")
  .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, "must be a valid HTTP header name (RFC 9110 token)");

export const ZHttpMethod = z
  .string()
  .regex(/^[A-Z]+$/, "must be an upper-case HTTP method such as GET");

/**
 * Exactly one of the named keys must be set. Reported on the object itself so the
 * error path points at the object whose shape is wrong.
 */
export function exactlyOneOf<T extends Record<string, unknown>>(keys: readonly (keyof T & string)[]) {
  return (value: T, ctx: z.RefinementCtx) => {
    const present = keys.filter((k) => value[k] !== undefined);
    if (present.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message:
          present.length === 0
            ? `exactly one of ${keys.join(" | ")} is required`
            : `exactly one of ${keys.join(" | ")} is allowed, got ${present.join(" and ")}`,
        path: [],
      });
    }
  };
}
