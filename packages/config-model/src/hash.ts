import { createHash } from "node:crypto";

/**
 * Canonical JSON: object keys sorted, no whitespace, undefined members dropped, so two
 * configs that mean the same produce the same bytes whatever order they were written in.
 * Array order is kept (route order matters).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** sha256 of the canonical JSON, as lower-case hex. */
export function hashConfig(config: unknown): string {
  return createHash("sha256").update(canonicalJson(config)).digest("hex");
}
