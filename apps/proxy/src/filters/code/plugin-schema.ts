import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { z } from "zod";

/**
 * A plugin's `configSchema`: a zod schema (anything with `safeParse`) or a JSON Schema
 * object (checked with ajv, defaults filled in). Absent = any config is accepted.
 */
export type TConfigCheck = (config: unknown) => { ok: true; value: unknown } | { ok: false; issues: { path: (string | number)[]; message: string }[] };

type TZodLike = { safeParse(v: unknown): { success: true; data: unknown } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } };

const isZod = (s: unknown): s is TZodLike => typeof s === "object" && s !== null && typeof (s as { safeParse?: unknown }).safeParse === "function";

// One ajv for the process; a JSON Schema is compiled once per schema object (module).
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const compiled = new WeakMap<object, ValidateFunction>();

/** Throws (with the reason) when the schema itself is unusable: the version is refused at the module. */
export function configCheckOf(schema: unknown): TConfigCheck {
  if (schema === undefined || schema === null) return (config) => ({ ok: true, value: config });
  if (isZod(schema)) {
    return (config) => {
      const r = schema.safeParse(config);
      if (r.success) return { ok: true, value: r.data };
      return { ok: false, issues: r.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === "number" ? p : String(p))), message: i.message })) };
    };
  }
  if (typeof schema !== "object" && typeof schema !== "boolean") throw new TypeError("configSchema must be a zod schema or a JSON Schema object");
  let validate = typeof schema === "object" ? compiled.get(schema) : undefined;
  if (!validate) {
    validate = ajv.compile(schema as object);
    if (typeof schema === "object") compiled.set(schema, validate);
  }
  const v = validate;
  return (config) => {
    // ajv fills defaults in place: the plugin gets a copy, the config document stays as written.
    const value = structuredClone(config);
    if (v(value)) return { ok: true, value };
    return { ok: false, issues: (v.errors ?? []).map(ajvIssue) };
  };
}

function ajvIssue(e: ErrorObject): { path: (string | number)[]; message: string } {
  const path: (string | number)[] = e.instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const extra = (e.params as { additionalProperty?: string }).additionalProperty;
  if (extra !== undefined) path.push(extra);
  return { path, message: e.message ?? "is invalid" };
}

/** The schema as JSON Schema for the console's form; null when absent or not convertible. */
export function jsonSchemaOf(schema: unknown): Record<string, unknown> | null {
  if (schema === undefined || schema === null) return null;
  if (isZod(schema)) {
    try {
      return z.toJSONSchema(schema as unknown as z.ZodType, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
    } catch {
      return null;
    }
  }
  return typeof schema === "object" ? (schema as Record<string, unknown>) : null;
}
