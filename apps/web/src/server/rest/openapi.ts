import { ZConfig } from "@switchyard/config-model";
import { z } from "zod";
import { APP_ERRORS } from "../services/app-error.ts";
import { fieldsOf, inputJsonSchema } from "./input.ts";
import type { TRestRoute } from "./router.ts";
import { ZErrorOut, ZStaleOut } from "./schemas.ts";

type TSchema = Record<string, unknown>;

/** A zod schema as an OpenAPI 3.1 Schema Object (JSON Schema 2020-12, without `$schema`). */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): TSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as TSchema;
  return rest;
}

const json = (schema: TSchema) => ({ "application/json": { schema } });
const errorRef = { $ref: "#/components/schemas/Error" };
const errorResponse = (description: string, schema: TSchema = errorRef) => ({ description, content: json(schema) });

/**
 * The OpenAPI 3.1 document of the REST API, generated from the route table and the very
 * zod schemas the handlers parse with (and the services' answers, described in
 * schemas.ts), so it cannot drift from what is served.
 */
export function buildOpenApiDocument(routes: readonly TRestRoute[], info: { version: string }): TSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, "{$1}");
    const pathParams = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    const js = route.input ? inputJsonSchema(route.input) : { properties: {} };
    const fields = fieldsOf(js);
    const required = new Set((js as { required?: string[] }).required ?? []);
    const implied = new Set([...pathParams, ...Object.keys(route.fixed ?? {}), ...(route.body === "document" ? ["text", "format"] : []), ...(route.headers ? ["revision"] : [])]);

    const parameters: unknown[] = pathParams.map((name) => ({ name, in: "path", required: true, schema: fields[name] ?? { type: "string" } }));
    if (!route.body) {
      for (const [name, schema] of Object.entries(fields)) {
        if (!implied.has(name)) parameters.push({ name, in: "query", required: required.has(name), schema });
      }
    }
    if (route.negotiate) parameters.push({ name: "format", in: "query", required: false, schema: { type: "string", enum: ["json", "yaml"] }, description: "The representation (else by Accept)" });
    if (route.headers) parameters.push({ name: "If-Match", in: "header", required: false, schema: { type: "string" }, description: "The ETag (revision) the document is based on; a stale one gets 409 with what changed" });

    let requestBody: unknown;
    if (route.body === "document") {
      const doc = { $ref: "#/components/schemas/Config" };
      requestBody = { required: true, description: "A config document v1, JSON or YAML", content: { "application/json": { schema: doc }, "application/yaml": { schema: doc } } };
    } else if (route.body === "fields") {
      const props = Object.fromEntries(Object.entries(fields).filter(([k]) => !implied.has(k)));
      const schema = { type: "object", properties: props, required: [...required].filter((k) => k in props) };
      requestBody = { required: true, content: { "application/json": { schema }, "application/yaml": { schema } } };
    }

    const ok = route.response?.schema ? jsonSchema(route.response.schema, "output") : {};
    const content: Record<string, unknown> = json(ok);
    if (route.negotiate || route.path === "/config") content["application/yaml"] = { schema: route.negotiate ? { $ref: "#/components/schemas/Config" } : ok };
    const responses: Record<string, unknown> = { [String(route.status ?? 200)]: { description: route.response?.description ?? "OK", content } };
    if (route.input) responses["400"] = errorResponse("Invalid input in the path or query string (each issue names its field), or a body that does not parse");
    if (route.access !== "public") responses["401"] = errorResponse("Missing, unknown or revoked bearer token");
    if (route.method !== "GET" && route.access !== "read" && route.access !== "public") responses["403"] = errorResponse("A read-only token (or a viewer's)");
    if (pathParams.length) responses["404"] = errorResponse("No such resource");
    if (route.method !== "GET") responses["409"] = errorResponse("A conflict: stale revision (with what changed), a resource in use, a rollout not in canary", { $ref: "#/components/schemas/StaleRevision" });
    if (route.body) {
      responses["413"] = errorResponse("The body exceeds 5 MiB");
      responses["415"] = errorResponse("Content-Type other than JSON or YAML");
      responses["422"] = errorResponse("Invalid body or config: every issue with its path (and line, for YAML)");
    }
    responses["503"] = errorResponse("The console's database is unavailable (Retry-After: 1)");

    paths[path] ??= {};
    paths[path]![route.method.toLowerCase()] = {
      operationId: operationId(route),
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      security: route.access === "public" ? [] : [{ bearer: [] }],
      ...(parameters.length ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Switchyard console REST API",
      version: info.version,
      description: `Bearer tokens: SWITCHYARD_API_TOKEN or an API token made on the Tokens page (read or write). Error codes and their status: ${Object.entries(APP_ERRORS)
        .map(([code, e]) => `${code} ${e.http}`)
        .join(", ")}.`,
    },
    servers: [{ url: "/api/v1" }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: { Error: jsonSchema(ZErrorOut, "output"), StaleRevision: jsonSchema(ZStaleOut, "output"), Config: jsonSchema(ZConfig, "input") },
    },
  };
}

/** `GET /versions/{version}` -> getVersionsByVersion. */
function operationId(route: TRestRoute): string {
  const words = route.path
    .split("/")
    .filter(Boolean)
    .map((p) => (p.startsWith(":") ? `By-${p.slice(1)}` : p))
    .flatMap((p) => p.split(/[-_]/))
    .filter(Boolean);
  return route.method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
}
