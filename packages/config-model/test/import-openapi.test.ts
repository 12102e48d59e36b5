import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { importOpenApi, validateConfig } from "../src/index.ts";
import { makeCluster, makeConfig, makeListener, makeRoute, makeRouteConfig, makeVirtualHost } from "../src/testing/fixtures.ts";

const PETSTORE = `
openapi: 3.0.3
info: { title: Petstore, version: 1.0.0 }
servers:
  - url: https://petstore.example.com/v1
  - url: https://staging.example.com/v1
paths:
  /pets:
    get: { operationId: listPets, responses: { "200": { description: ok } } }
    post: { operationId: createPet, responses: { "201": { description: created } } }
  /pets/{petId}:
    get: { operationId: showPetById, responses: { "200": { description: ok } } }
    delete: { responses: { "204": { description: gone } } }
  /pets/{petId}/photos/{photoId}.jpg:
    get: { operationId: getPhoto, responses: { "200": { description: ok } } }
  /pets/mine:
    get: { operationId: myPets, responses: { "200": { description: ok } } }
`;

const base = () => {
  const result = validateConfig(
    makeConfig({
      listeners: [makeListener({ name: "public", routeConfig: "main" })],
      routeConfigs: [makeRouteConfig({ name: "main", virtualHosts: [makeVirtualHost({ name: "api", routes: [makeRoute({ name: "catch-all", match: { prefix: "/" }, route: { cluster: "users" } })] })] })],
      clusters: [makeCluster({ name: "users" }), makeCluster({ name: "pets" })],
    }),
  );
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
};

describe("importOpenApi", () => {
  it("makes one route per path and method, concrete paths first, in front of the existing routes", () => {
    const { config, unmapped } = importOpenApi(parse(PETSTORE), { cluster: "pets", routeConfig: "main", virtualHost: "api", base: base() });
    const result = validateConfig(config);
    expect(result.ok ? [] : result.issues).toEqual([]);
    if (!result.ok) return;
    const routes = result.config.routeConfigs[0]!.virtualHosts[0]!.routes;
    expect(routes.map((r) => [r.name, r.match.path ?? r.match.regex ?? r.match.prefix, r.match.methods, r.route?.cluster])).toEqual([
      ["listPets", "/v1/pets", ["GET"], "pets"],
      ["createPet", "/v1/pets", ["POST"], "pets"],
      ["myPets", "/v1/pets/mine", ["GET"], "pets"],
      ["showPetById", "/v1/pets/[^/]+", ["GET"], "pets"],
      ["delete-pets-petId", "/v1/pets/[^/]+", ["DELETE"], "pets"],
      ["getPhoto", "/v1/pets/[^/]+/photos/[^/]+\\.jpg", ["GET"], "pets"],
      ["catch-all", "/", undefined, "users"],
    ]);
    expect(unmapped).toEqual([{ path: "servers", message: "2 servers: routes use the first one's base path" }]);
  });

  it("creates the route config and virtual host when missing, and re-importing replaces routes by name", () => {
    const first = validateConfig(importOpenApi(parse(PETSTORE), { cluster: "pets", routeConfig: "petstore", virtualHost: "pets", domains: ["pets.example.com"], base: base() }).config);
    if (!first.ok) throw new Error(JSON.stringify(first.issues));
    const created = first.config.routeConfigs.find((rc) => rc.name === "petstore")!;
    expect(created.virtualHosts.map((vh) => [vh.name, vh.domains, vh.routes.length])).toEqual([["pets", ["pets.example.com"], 6]]);
    const again = validateConfig(importOpenApi(parse(PETSTORE), { cluster: "users", routeConfig: "petstore", virtualHost: "pets", base: first.config }).config);
    if (!again.ok) throw new Error(JSON.stringify(again.issues));
    const routes = again.config.routeConfigs.find((rc) => rc.name === "petstore")!.virtualHosts[0]!.routes;
    expect(routes.map((r) => r.route?.cluster)).toEqual(Array(6).fill("users"));
  });

  it("refuses a document that is not OpenAPI 3, and an unknown cluster fails validation at its path", () => {
    expect(importOpenApi({ swagger: "2.0" }, { cluster: "pets", routeConfig: "main", virtualHost: "api" }).unmapped).toEqual([
      { path: "openapi", message: "not an OpenAPI 3 document (need openapi: 3.x)" },
    ]);
    const result = validateConfig(importOpenApi(parse(PETSTORE), { cluster: "nope", routeConfig: "main", virtualHost: "api", base: base() }).config);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]!.message).toContain("nope");
  });
});
