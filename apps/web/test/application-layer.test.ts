/**
 * The console's one application layer: REST handlers and tRPC procedures parse with the
 * same schemas and call the same services, neither touches the database, one error table
 * gives every code its HTTP status and tRPC code, and the OpenAPI 3.1 document generated
 * from the route table validates and lists every route.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { makeCluster, makeConfig } from "@switchyard/config-model/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../src/server/api/root.ts";
import { REST_ROUTES } from "../src/server/rest/index.ts";
import { APP_ERRORS, APP_ERROR_CODES } from "../src/server/services/app-error.ts";
import { startCpServer, type TCpServer } from "./helpers/cp-server.ts";

const SERVER = join(import.meta.dirname, "../src/server");

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Each REST route and the tRPC procedure that does the same thing (null: REST only). */
const PROCEDURE_OF: Record<string, string | null> = {
  "GET /healthz": null,
  "GET /openapi.json": null,
  "GET /schema/config-v1.json": null,
  "GET /config": "config.export",
  "PUT /config": "config.importApply",
  "POST /config/validate": "config.importCheck",
  "GET /versions": "versions.list",
  "POST /versions": "versions.publish",
  "GET /versions/:version": "versions.get",
  "GET /versions/:a/diff/:b": "versions.compare",
  "POST /versions/:version/rollback": "versions.rollback",
  "GET /nodes": "nodes.list",
  "GET /clusters/:name/endpoints": "clusters.endpoints",
  "PUT /clusters/:name/endpoints": "clusters.setEndpoints",
  "GET /rollouts": "rollouts.list",
  "GET /rollouts/:id": "rollouts.get",
  "POST /rollouts/:id/promote": "rollouts.promote",
  "POST /rollouts/:id/pause": "rollouts.pause",
  "POST /rollouts/:id/resume": "rollouts.resume",
  "POST /rollouts/:id/rollback": "rollouts.rollback",
  "GET /secrets": "certificates.list",
  "GET /audit": "audit.list",
  "GET /metrics/routes": "telemetry.summary",
  "GET /metrics/clusters": "telemetry.summary",
  "GET /traces": "telemetry.traces",
  "GET /traces/:traceId": "telemetry.trace",
};

describe("one application layer", () => {
  it("no tRPC procedure and no REST handler imports the database: they parse, call a service and send", () => {
    const offenders = [...filesUnder(join(SERVER, "api/routers")), ...filesUnder(join(SERVER, "rest"))].filter((f) => readFileSync(f, "utf8").includes("@switchyard/db"));
    expect(offenders).toEqual([]);
  });

  it("every REST route parses its input with the very schema of the tRPC procedure that does the same", () => {
    const procedures = (appRouter as unknown as { _def: { procedures: Record<string, { _def: { inputs: unknown[] } }> } })._def.procedures;
    expect(Object.keys(PROCEDURE_OF).sort()).toEqual(REST_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of REST_ROUTES) {
      const path = PROCEDURE_OF[`${route.method} ${route.path}`];
      if (!path || !route.input) continue;
      const procedure = procedures[path];
      expect(procedure, path).toBeDefined();
      expect(procedure!._def.inputs[0], `${route.method} ${route.path} ~ ${path}`).toBe(route.input);
    }
  });

  it("has one error table: each code's tRPC code answers the same HTTP status as the REST API", () => {
    for (const code of APP_ERROR_CODES) {
      const { http, trpc } = APP_ERRORS[code];
      expect(getHTTPStatusCodeFromError(new TRPCError({ code: trpc })), code).toBe(http);
    }
  });
});

describe("REST and tRPC agree (they are one path)", () => {
  let cp: TCpServer;
  beforeAll(async () => {
    cp = await startCpServer();
    await cp.api("/config", { method: "PUT", json: makeConfig({ clusters: [makeCluster()] }) });
  }, 120_000);
  afterAll(async () => {
    await cp?.close();
  });

  it("caps a publish message at the same length, naming the field", async () => {
    const tooLong = await cp.api("/versions", { method: "POST", json: { message: "x".repeat(1001) } });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body).toMatchObject({ code: "VALIDATION", issues: [{ path: "message", message: "must be at most 1000 characters" }] });
    const procedure = (appRouter as unknown as { _def: { procedures: Record<string, { _def: { inputs: { safeParse(v: unknown): { success: boolean } }[] } }> } })._def.procedures["versions.publish"]!;
    expect(procedure._def.inputs[0]!.safeParse({ message: "x".repeat(1001) }).success).toBe(false);
    expect(procedure._def.inputs[0]!.safeParse({ message: "x".repeat(600) }).success).toBe(true);
    expect((await cp.api("/versions", { method: "POST", json: { message: "x".repeat(600) } })).status).toBe(201);
  });

  describe("the OpenAPI 3.1 document", () => {
    it("is served without a token at /api/v1/openapi.json, validates, and lists every REST route", async () => {
      const res = await cp.api("/openapi.json", { token: null });
      expect(res.status).toBe(200);
      const doc = res.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
      expect(doc.openapi).toBe("3.1.0");
      const validator = new Validator();
      const result = await validator.validate(structuredClone(doc) as never);
      expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
      expect(result.valid).toBe(true);
      expect(validator.version).toBe("3.1");
      // OpenAPI 3.1 schema objects are JSON Schema 2020-12: each one checked against its meta-schema (Ajv).
      const ajv = new Ajv2020({ strict: false });
      const schemas: unknown[] = [];
      const collect = (node: unknown) => {
        if (Array.isArray(node)) return node.forEach(collect);
        if (typeof node !== "object" || node === null) return;
        for (const [k, v] of Object.entries(node)) if (k === "schema" && typeof v === "object") schemas.push(v);
        else collect(v);
      };
      collect(doc.paths);
      schemas.push(...Object.values((doc as unknown as { components: { schemas: Record<string, unknown> } }).components.schemas));
      expect(schemas.length).toBeGreaterThan(40);
      for (const schema of schemas) expect(ajv.validateSchema(schema as object), JSON.stringify(ajv.errors)).toBe(true);
      const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`));
      expect(documented.sort()).toEqual(REST_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    });

    it("describes inputs from the same schemas: path, query and body fields with their limits", async () => {
      const doc = (await cp.api("/openapi.json", { token: null })).body;
      const publish = doc.paths["/versions"].post;
      expect(publish.requestBody.content["application/json"].schema.properties.message).toMatchObject({ type: "string", maxLength: 1000 });
      expect(publish.responses["201"].content["application/json"].schema.properties.version).toMatchObject({ type: "integer" });
      const version = doc.paths["/versions/{version}"].get;
      expect(version.parameters).toContainEqual(expect.objectContaining({ name: "version", in: "path", required: true, schema: expect.objectContaining({ type: "integer", minimum: 1 }) }));
      const metrics = doc.paths["/metrics/routes"].get;
      expect(metrics.parameters).toContainEqual(expect.objectContaining({ name: "window", in: "query", schema: expect.objectContaining({ maximum: 604800 }) }));
      expect(metrics.parameters.map((p: { name: string }) => p.name)).not.toContain("kind");
      expect(doc.paths["/config"].put.requestBody.content["application/yaml"].schema).toEqual({ $ref: "#/components/schemas/Config" });
      expect(doc.paths["/healthz"].get.security).toEqual([]);
    });

    it("documents what the routes answer: real answers match the response schemas", async () => {
      await cp.api("/versions", { method: "POST", json: { message: "documented" } });
      for (const route of REST_ROUTES) {
        if (route.method !== "GET" || route.path.includes(":") || !route.response?.schema) continue;
        const res = await cp.api(route.path);
        expect(res.status, route.path).toBe(200);
        const parsed = route.response.schema.safeParse(res.body);
        expect(parsed.success ? [] : parsed.error.issues, route.path).toEqual([]);
      }
      const v = await cp.api("/versions/1");
      expect(REST_ROUTES.find((r) => r.path === "/versions/:version")!.response!.schema!.safeParse(v.body).success).toBe(true);
    });
  });
});
