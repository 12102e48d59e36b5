import type { IncomingMessage } from "node:http";
import { z } from "zod";
import { issuesFromZod } from "@switchyard/config-model";
import { AppError, validationError } from "../services/app-error.ts";
import { parseDocumentText } from "../services/document-text.ts";
import { bodyFormat, readBody } from "./http.ts";
import type { TRestRoute } from "./router.ts";

type TJsonSchema = { type?: string | string[]; properties?: Record<string, TJsonSchema>; allOf?: TJsonSchema[]; anyOf?: TJsonSchema[]; oneOf?: TJsonSchema[] };

/** JSON Schema of a route's input (as its callers write it), computed once. */
const schemas = new WeakMap<z.ZodType, TJsonSchema>();
export function inputJsonSchema(schema: z.ZodType): TJsonSchema {
  let js = schemas.get(schema);
  if (!js) schemas.set(schema, (js = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as TJsonSchema));
  return js;
}

/** The top-level fields of an object schema (or of every member of an intersection / union). */
export function fieldsOf(js: TJsonSchema): Record<string, TJsonSchema> {
  const out: Record<string, TJsonSchema> = { ...js.properties };
  for (const part of [...(js.allOf ?? []), ...(js.anyOf ?? []), ...(js.oneOf ?? [])]) Object.assign(out, fieldsOf(part));
  return out;
}

/** Path and query values are strings: numbers and booleans are read as the schema types them. */
function coerce(value: string, type: TJsonSchema["type"]): unknown {
  const types = Array.isArray(type) ? type : [type];
  if ((types.includes("integer") || types.includes("number")) && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (types.includes("boolean") && (value === "true" || value === "false")) return value === "true";
  return value;
}

/**
 * A route's input, parsed with its schema: path parameters, the query string, the body
 * (an object's fields, or a whole config document as `{ text, format }`), header-borne
 * fields and the fields the path implies. A value that fails the schema is INVALID_INPUT
 * (400) when it came in the URL and VALIDATION (422) when it came in the body; each issue
 * names its field.
 */
export async function parseRouteInput(route: TRestRoute, params: Record<string, string>, query: URLSearchParams, req: IncomingMessage): Promise<unknown> {
  const types = route.input ? fieldsOf(inputJsonSchema(route.input)) : {};
  const raw: Record<string, unknown> = {};
  const fromUrl = new Set<string>();
  for (const [k, v] of query) {
    raw[k] = coerce(v, types[k]?.type);
    fromUrl.add(k);
  }
  for (const [k, v] of Object.entries(params)) {
    raw[k] = coerce(v, types[k]?.type);
    fromUrl.add(k);
  }
  if (route.body === "document") {
    const format = bodyFormat(req);
    Object.assign(raw, { text: await readBody(req), format });
  } else if (route.body === "fields") {
    const format = bodyFormat(req);
    const value = await parseDocumentText(await readBody(req), format);
    if (value !== undefined && (typeof value !== "object" || value === null || Array.isArray(value))) {
      throw new AppError("VALIDATION", "the body must be a JSON or YAML object", [{ path: "", message: "must be an object" }]);
    }
    // The path names the resource: a body cannot point the call elsewhere.
    for (const [k, v] of Object.entries((value ?? {}) as Record<string, unknown>)) if (!fromUrl.has(k)) raw[k] = v;
  }
  Object.assign(raw, route.headers?.(req), route.fixed);
  if (!route.input) return raw;
  const parsed = route.input.safeParse(raw);
  if (parsed.success) return parsed.data;
  const inUrl = parsed.error.issues.every((i) => fromUrl.has(String(i.path[0])));
  throw validationError(issuesFromZod(parsed.error), inUrl ? "INVALID_INPUT" : "VALIDATION");
}
