/**
 * Issue #19 item 8 in a real browser against the real console process and PostgreSQL: an
 * OpenAPI 3 document imported through the import page onto a chosen cluster, converted on
 * the server, previewed as a structural diff, then applied. Screenshots under test-artifacts/issue-19/.
 */
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { api, artifactsDir, freePort, logIn, openBrowser, screenshotAfter, seedConfig, startConsole, withEvidence, type TConsoleHandle, gotoHydrated } from "./fixtures.ts";

let app: TConsoleHandle;
let browser: Browser;
let page: Page;

const PETSTORE = `openapi: 3.0.3
info: { title: Petstore, version: 1.0.0 }
servers: [ { url: "https://petstore.example.com/v1" } ]
paths:
  /pets:
    get: { operationId: listPets, responses: { "200": { description: ok } } }
  /pets/{petId}:
    get: { operationId: showPetById, responses: { "200": { description: ok } } }
`;

beforeAll(async () => {
  app = await startConsole();
  ({ browser, page } = await openBrowser());
  await logIn(page, app);
  const port = await freePort();
  await seedConfig(app, {
    listeners: [{ name: "public", address: "127.0.0.1", port, protocol: "http", routeConfig: "main" }],
    routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "users", match: { prefix: "/users" }, route: { cluster: "users" } }] }] }],
    clusters: [
      { name: "users", endpoints: [{ address: "127.0.0.1", port: 9 }] },
      { name: "pets", endpoints: [{ address: "127.0.0.1", port: 9 }] },
    ],
    secrets: [],
    rateLimitPolicies: [],
  });
}, 600_000);

afterEach(async (ctx) => {
  await screenshotAfter(page, "issue-19", ctx.task);
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe.sequential("importers in a browser", () => {
  it("imports an OpenAPI document onto the chosen cluster, previewed as a diff before it is applied", async () => {
    await withEvidence(page, app, "i19-import-openapi-failure.png", async () => {
      await gotoHydrated(page, `${app.url}/import`);
      await page.getByLabel("Source format").selectOption("openapi");
      await page.getByLabel("Cluster for the imported routes").selectOption("pets");
      await page.getByLabel("Upload a file").setInputFiles({ name: "petstore.yaml", mimeType: "application/yaml", buffer: Buffer.from(PETSTORE) });
      await expect.poll(async () => page.getByLabel("…or paste the document").textContent()).toContain("showPetById");
      await page.getByRole("button", { name: "Convert and check" }).click();
      await page.getByRole("region", { name: "Conversion report" }).getByText("Converted: every field was mapped").waitFor();
      const diff = page.getByRole("region", { name: "Import diff" });
      const added = diff.locator('li[data-resource="routes/main/all/listPets"]');
      await added.waitFor();
      expect(await added.innerText()).toMatch(/^\+/);
      await diff.locator('li[data-resource="routes/main/all/showPetById"]').waitFor();
      await page.screenshot({ path: join(artifactsDir("issue-19"), "import-openapi-diff.png"), fullPage: true });
      await page.getByRole("button", { name: "Replace the working config" }).click();
      await page.getByTestId("toast").getByText(/Imported/).waitFor();
      const res = await api(app, "/config");
      type TRouteRow = { name: string; match: { path?: string; regex?: string; prefix?: string }; route?: { cluster: string } };
      const routes = (res.body as { routeConfigs: { virtualHosts: { routes: TRouteRow[] }[] }[] }).routeConfigs[0]!.virtualHosts[0]!.routes;
      expect(routes.map((r) => [r.name, r.match.path ?? r.match.regex ?? r.match.prefix, r.route?.cluster])).toEqual([
        ["listPets", "/v1/pets", "pets"],
        ["showPetById", "/v1/pets/[^/]+", "pets"],
        ["users", "/users", "users"],
      ]);
    });
  });

  it("converts an Envoy bootstrap and lists the fields it could not map before the diff", async () => {
    const bootstrap = [
      "static_resources:",
      "  listeners:",
      "  - name: ingress",
      "    address: { socket_address: { address: 127.0.0.1, port_value: 10000 } }",
      "    filter_chains:",
      "    - filters:",
      "      - name: envoy.filters.network.http_connection_manager",
      "        typed_config:",
      "          stat_prefix: ingress_http",
      "          route_config:",
      "            name: edge",
      "            virtual_hosts:",
      "            - { name: all, domains: ['*'], routes: [ { match: { prefix: / }, route: { cluster: web } } ] }",
      "  clusters:",
      "  - name: web",
      "    type: STATIC",
      "    circuit_breakers: { thresholds: [ { max_connections: 100 } ] }",
      "    load_assignment: { endpoints: [ { lb_endpoints: [ { endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 9 } } } } ] } ] }",
      "",
    ].join("\n");
    await withEvidence(page, app, "i19-import-envoy-failure.png", async () => {
      await gotoHydrated(page, `${app.url}/import`);
      await page.getByLabel("Source format").selectOption("envoy");
      await page.getByLabel("Upload a file").setInputFiles({ name: "envoy.yaml", mimeType: "application/yaml", buffer: Buffer.from(bootstrap) });
      await expect.poll(async () => page.getByLabel("…or paste the document").textContent()).toContain("circuit_breakers");
      await page.getByRole("button", { name: "Convert and check" }).click();
      const report = page.getByRole("region", { name: "Conversion report" });
      await report.getByText("Converted: 1 field not mapped").waitFor();
      expect(await report.locator("li").innerText()).toBe("static_resources.clusters[0].circuit_breakers not mapped");
      const diff = page.getByRole("region", { name: "Import diff" });
      await diff.locator('li[data-resource="clusters/web"]').waitFor();
      await diff.locator('li[data-resource="listeners/ingress"]').waitFor();
    });
  });
});
