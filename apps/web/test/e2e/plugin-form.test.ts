/**
 * A plugin's config edited in the console from the JSON Schema its node announced (issue
 * #14 item 3), in a real browser: a managed proxy started with `--plugin` for the example
 * tenant plugin says hello with its zod schema as JSON Schema; the listener page's "Add
 * Plugin filter" offers the module, renders the schema's fields (a string, a number, a
 * string list, an object as JSON), saves the entry, and the published version runs the
 * plugin on the node against a real upstream.
 */
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { api, eventually, freePort, logIn, openBrowser, screenshotAfter, seedConfig, startConsole, startManagedProxy, startUpstream, type TConsoleHandle, type TManagedProxy, gotoHydrated } from "./fixtures.ts";

const TENANT = fileURLToPath(new URL("../../../../examples/plugins/tenant/index.ts", import.meta.url));

let app: TConsoleHandle;
let proxy: TManagedProxy;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let browser: Browser;
let page: Page;
let port: number;

beforeAll(async () => {
  upstream = await startUpstream("plugin-form");
  port = await freePort();
  app = await startConsole();
  await seedConfig(app, {
    listeners: [{ name: "edge", address: "127.0.0.1", port, routeConfig: "main" }],
    routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "all", match: { prefix: "/" }, route: { cluster: "up" } }] }] }],
    clusters: [{ name: "up", endpoints: [{ address: "127.0.0.1", port: upstream.port }] }],
  });
  proxy = await startManagedProxy(app, "plugin-form-1", ["--plugin", TENANT]);
  await eventually("the node connected", async () => {
    const nodes = (await api(app, "/nodes")).body as { id: string; connected: boolean }[] | undefined;
    return nodes?.some((n) => n.id === "plugin-form-1" && n.connected) ? true : undefined;
  });
  ({ browser, page } = await openBrowser());
  await logIn(page, app);
}, 600_000);

afterEach(async (ctx) => {
  await screenshotAfter(page, "plugin-form", ctx.task);
});

afterAll(async () => {
  await browser?.close();
  await proxy?.stop();
  await app?.stop();
  await upstream?.close();
});

describe("plugin config form", () => {
  it("renders the announced schema's fields, saves the entry, and the node runs the plugin after publish", async () => {
    await gotoHydrated(page, `${app.url}/listeners/edge`);
    await page.getByRole("button", { name: "Add Plugin filter" }).click();
    await page.locator("#filter-0-name").fill("tenant");
    await page.locator("#filter-0-module").fill(TENANT);
    // The module's hint names what the node announced; the config is a form from its schema.
    await page.getByText("tenant 1.0.0 on 1 connected node(s)").waitFor();
    const form = page.getByRole("group", { name: "Plugin config (tenant)" });
    await form.waitFor();
    await expect(page.locator("#filter-0-config-header").getAttribute("placeholder")).resolves.toBe("x-tenant");
    await page.locator("#filter-0-config-tenants").fill('{ "acme": "pro" }');
    await page.locator("#filter-0-config-tenants").blur();
    await page.locator("#filter-0-config-maskWords").fill("s3cret, hunter2");
    await page.locator("#filter-0-config-lookupDelayMs").fill("2");
    await page.getByRole("button", { name: "Save listener" }).click();
    await page.getByTestId("toast").getByText('Saved listener "edge"').waitFor();

    const working = (await api(app, "/config")).body as { listeners: { httpFilters: unknown[] }[] };
    expect(working.listeners[0]?.httpFilters).toEqual([
      { type: "plugin", name: "tenant", module: TENANT, config: { tenants: { acme: "pro" }, maskWords: ["s3cret", "hunter2"], lookupDelayMs: 2 }, timeoutMs: 5000 },
    ]);

    expect((await api(app, "/versions", { method: "POST", json: { message: "tenant plugin" } })).status).toBe(201);
    const res = await eventually("the plugin serving", async () => {
      const r = await fetch(`http://127.0.0.1:${port}/x`, { headers: { "x-tenant": "acme" } }).catch(() => undefined);
      return r?.headers.get("x-tenant") ? r : undefined;
    });
    expect(res.headers.get("x-tenant")).toBe("acme; plan=pro");
    expect((await fetch(`http://127.0.0.1:${port}/x`)).status).toBe(401);
  });
});
