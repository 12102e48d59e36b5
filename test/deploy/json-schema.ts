/**
 * A small JSON Schema (draft-07 subset) validator for the committed Kubernetes schema:
 * $ref (local), type (incl. type lists), properties, required, additionalProperties
 * (false or a schema), items, minItems, enum, pattern, minimum, maximum, maxLength.
 * Anything else in a schema is an error, so the schema cannot silently use a keyword
 * this validator ignores. No npm package: no maintained offline Kubernetes schema
 * package is installed, and adding one is costly here.
 */

export type TSchema = Record<string, unknown>;
export type TSchemaError = { path: string; message: string };

const KNOWN = new Set(["$ref", "type", "properties", "required", "additionalProperties", "items", "minItems", "enum", "pattern", "minimum", "maximum", "maxLength", "$comment", "$schema", "definitions", "x-kinds"]);

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

export function validate(root: TSchema, schema: TSchema, value: unknown, path = ""): TSchemaError[] {
  const errors: TSchemaError[] = [];
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`schema keyword "${k}" at ${path || "(root)"} is not supported by this validator`);
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.replace(/^#\/definitions\//, "");
    const target = (root.definitions as Record<string, TSchema>)[name];
    if (!target) throw new Error(`unresolved $ref ${schema.$ref}`);
    return validate(root, target, value, path);
  }
  const at = path || "(root)";
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    const t = typeOf(value);
    if (!types.includes(t) && !(t === "integer" && types.includes("number"))) return [{ path: at, message: `expected ${types.join(" or ")}, got ${t}` }];
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push({ path: at, message: `must be one of ${JSON.stringify(schema.enum)}, got ${JSON.stringify(value)}` });
  if (typeof value === "string") {
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern).test(value)) errors.push({ path: at, message: `"${value}" does not match ${schema.pattern}` });
    if (typeof schema.maxLength === "number" && value.length > schema.maxLength) errors.push({ path: at, message: `longer than ${schema.maxLength}` });
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) errors.push({ path: at, message: `must be >= ${schema.minimum}` });
    if (typeof schema.maximum === "number" && value > schema.maximum) errors.push({ path: at, message: `must be <= ${schema.maximum}` });
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) errors.push({ path: at, message: `needs at least ${schema.minItems} item(s)` });
    if (schema.items) value.forEach((item, i) => errors.push(...validate(root, schema.items as TSchema, item, `${path}[${i}]`)));
  }
  if (typeOf(value) === "object") {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, TSchema>;
    for (const r of (schema.required ?? []) as string[]) if (obj[r] === undefined) errors.push({ path: at, message: `missing required field "${r}"` });
    for (const [k, v] of Object.entries(obj)) {
      const child = path ? `${path}.${k}` : k;
      if (props[k]) errors.push(...validate(root, props[k], v, child));
      else if (schema.additionalProperties === false) errors.push({ path: child, message: "unknown field" });
      else if (typeof schema.additionalProperties === "object") errors.push(...validate(root, schema.additionalProperties as TSchema, v, child));
    }
  }
  return errors;
}
