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

/** Arrays whose elements are resources: their canonical JSON is what CanonicalMemo keeps. */
const RESOURCE_LISTS = new Set(["listeners", "clusters", "secrets", "rateLimitPolicies", "routes"]);

/**
 * hashConfig for a stream of validated versions: the canonical JSON of each resource
 * (listener, cluster, secret, rate-limit policy, route) is kept by its frozen object, and
 * validated resources that did not change are the same objects from version to version
 * (ValidationMemo), so a new version serialises only what changed. Same hash as
 * hashConfig; it costs the canonical text of the resources held (~250 bytes a route).
 */
export class CanonicalMemo {
  readonly #texts = new WeakMap<object, string>();

  hash(config: unknown): string {
    return createHash("sha256").update(this.#canonical(config, false) ?? "").digest("hex");
  }

  /** JSON.stringify(sortKeys(value)), assembled from the kept texts of resources. */
  #canonical(value: unknown, resources: boolean): string | undefined {
    if (Array.isArray(value)) return `[${value.map((v) => (resources ? this.#resource(v) : this.#canonical(v, false)) ?? "null").join(",")}]`;
    if (!value || typeof value !== "object") return JSON.stringify(value);
    const parts: string[] = [];
    for (const key of canonicalKeyOrder(value)) {
      const text = this.#canonical((value as Record<string, unknown>)[key], RESOURCE_LISTS.has(key));
      if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
    }
    return `{${parts.join(",")}}`;
  }

  #resource(value: unknown): string | undefined {
    if (!value || typeof value !== "object" || !Object.isFrozen(value)) return this.#canonical(value, false);
    let text = this.#texts.get(value);
    if (text === undefined) {
      text = canonicalJson(value);
      this.#texts.set(value, text);
    }
    return text;
  }
}

/**
 * The keys JSON.stringify(sortKeys(value)) writes, in its order: sortKeys inserts the
 * sorted keys into a new object, whose integer-like keys then come first in numeric order,
 * and which drops undefined members and "__proto__" (assigning it sets the prototype).
 */
function canonicalKeyOrder(value: object): string[] {
  const keys = Object.keys(value)
    .sort()
    .filter((k) => k !== "__proto__" && (value as Record<string, unknown>)[k] !== undefined);
  const indices = keys.filter(isArrayIndex).sort((a, b) => Number(a) - Number(b));
  return indices.length ? [...indices, ...keys.filter((k) => !isArrayIndex(k))] : keys;
}

const isArrayIndex = (key: string): boolean => /^(0|[1-9]\d*)$/.test(key) && Number(key) < 4294967295;
