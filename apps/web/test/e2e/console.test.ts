/**
 * The console in a real browser, end to end: log in, create a cluster pointing at a real
 * upstream and a route to it, see a server-side validation error next to its field,
 * publish, watch the proxy node (the real CLI, managed mode) apply the version, and send
 * a request through the proxy that reaches the upstream.
 */
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactsDir, eventually as until, freePort, openBrowser, seedConfig, startConsole, startManagedProxy, startUpstream, withEvidence, type TConsoleHandle, type TManagedProxy } from "./fixtures.ts";

const ARTIFACTS = artifactsDir();

let app: TConsoleHandle;
let browser: Browser;
let page: Page;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let upstreamPort: number;
let proxy: TManagedProxy;
let listenerPort: number;
let adminPort: number;
let upstreamHits: string[] = [];

const eventually = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000) => until(what, fn, timeoutMs, () => `proxy log:\n${proxy?.log.slice(-20).join("\n")}`);

beforeAll(async () => {
  upstream = await startUpstream("e2e");
  upstreamPort = upstream.port;
  upstreamHits = upstream.hits;
  listenerPort = await freePort();
  app = await startConsole();
  // The listener (on a free port) comes in through the REST API, with the empty route
  // config it serves. Everything else is done in the UI.
  await seedConfig(app, {
    listeners: [{ name: "public", address: "127.0.0.1", port: listenerPort, routeConfig: "main" }],
    routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [] }] }],
  });
  proxy = await startManagedProxy(app, "e2e");
  adminPort = proxy.adminPort;
  ({ browser, page } = await openBrowser());
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.stop();
  await app?.stop();
  await upstream?.close();
});

describe("console in a browser", () => {
  it("logs in, creates a cluster and a route, shows a server-side error by its field, publishes, traffic flows, edits and rolls back", async () => {
    await withEvidence(page, app, "console-e2e-failure.png", flow);
  }, 240_000);
});

async function flow() {
  {
    // Not logged in: any page sends us to /login.
    await page.goto(`${app.url}/routes`);
    await page.waitForURL(/\/login/);
    await expect(page.getByText("SWITCHYARD_ADMIN_EMAIL").isVisible()).resolves.toBe(true);

    // A wrong password is refused with a message; the right one logs in.
    await page.getByLabel("Email").fill(app.adminEmail);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByText("wrong email or password").waitFor();
    await page.getByLabel("Password").fill(app.adminPassword);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/routes$/);
    await page.getByRole("heading", { name: "Routes" }).waitFor();

    // Cluster with one endpoint: the real upstream.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Clusters" }).click();
    await page.getByRole("link", { name: "New cluster" }).click();
    await page.getByLabel("Name").fill("backend");
    await page.getByLabel("Endpoint 1 address").fill("127.0.0.1");
    await page.getByLabel("Endpoint 1 port").fill(String(upstreamPort));
    await page.getByLabel("Load balancing").selectOption("leastRequest");
    await page.getByRole("button", { name: "Create cluster" }).click();
    await page.waitForURL(/\/clusters$/);
    await page.getByRole("cell", { name: `127.0.0.1:${upstreamPort}` }).waitFor();

    // A route whose regex does not compile: the server's issue is shown next to the regex input.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Routes" }).click();
    await page.getByRole("link", { name: "New route" }).click();
    await expect(page.locator("#routeConfig").inputValue()).resolves.toBe("main");
    await expect(page.locator("#virtualHost").inputValue()).resolves.toBe("all");
    await page.getByLabel("Name").fill("hello");
    await page.getByLabel("Match kind").selectOption("regex");
    await page.getByLabel("Regex").fill("/hello/(unclosed");
    await page.getByLabel("Cluster", { exact: true }).selectOption("backend");
    await page.getByRole("button", { name: "Create route" }).click();
    const regexError = page.locator(".field", { has: page.locator("#matchValue") }).locator(".field-error");
    await regexError.waitFor();
    expect(await regexError.textContent()).toMatch(/invalid regex/);
    await page.screenshot({ path: join(ARTIFACTS, "console-e2e-validation.png"), fullPage: true });

    // Fix it: a prefix route with a rewrite.
    await page.getByLabel("Match kind").selectOption("prefix");
    await page.getByLabel("Prefix", { exact: true }).fill("/hello");
    await page.getByLabel("Prefix rewrite").fill("/greet");
    await page.getByRole("button", { name: "Create route" }).click();
    await page.waitForURL(/\/routes$/);
    const row = page.getByRole("row", { name: /hello/ });
    await row.waitFor();
    expect(await row.textContent()).toContain("backend");
    await page.screenshot({ path: join(ARTIFACTS, "console-e2e-routes.png"), fullPage: true });

    // Publish from the top bar's dialog: it counts the pending changes, is a real modal
    // (focus inside, the page behind inert), the message is required (server-side, error
    // next to the field), the diff lists what goes live, and Esc closes it.
    await expect.poll(async () => Number(await page.getByTestId("pending-count").textContent())).toBeGreaterThan(0);
    await page.getByTestId("publish-open").click();
    const dialog = page.getByRole("dialog", { name: "Publish" });
    await dialog.getByRole("list", { name: "Pending changes" }).getByText("backend").waitFor();
    expect(await dialog.evaluate((d) => d.matches(":modal") && d.contains(document.activeElement))).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, "console-e2e-publish.png"), fullPage: true });
    await dialog.getByRole("button", { name: "Publish", exact: true }).click();
    const messageError = dialog.locator(".field", { has: page.locator("#dlg-publish-message") }).locator(".field-error");
    await messageError.waitFor();
    expect(await messageError.textContent()).toMatch(/message is required/);
    await dialog.getByLabel("Message").fill("e2e: route /hello to backend");
    await dialog.getByRole("button", { name: "Publish", exact: true }).click();
    await dialog.getByTestId("publish-result").getByText("Published version 1").waitFor();
    await expect.poll(async () => page.getByTestId("pending-count").textContent()).toBe("0");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });

    // The node applies it: the Nodes page (polling every 2 s) shows it connected on v1.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Nodes" }).click();
    const nodeRow = page.locator('tr[data-node-id="e2e"]');
    await nodeRow.getByText("connected", { exact: true }).waitFor({ timeout: 30_000 });
    await nodeRow.getByTestId("applied-version").getByText("v1").waitFor({ timeout: 30_000 });

    // The proxy's admin agrees, and a request through the proxy reaches the upstream.
    await eventually("proxy /ready", async () => ((await fetch(`http://127.0.0.1:${adminPort}/ready`)).ok ? true : undefined));
    const dump = (await (await fetch(`http://127.0.0.1:${adminPort}/config_dump`)).json()) as { version?: number };
    expect(dump.version).toBe(1);
    const res = await fetch(`http://127.0.0.1:${listenerPort}/hello/world?x=1`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ upstream: "e2e", path: "/greet/world?x=1" });
    expect(upstreamHits).toContain("/greet/world?x=1");

    // Versions lists it with author and message.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Versions" }).click();
    const v1 = page.getByRole("row", { name: /v1/ });
    await v1.getByText("e2e: route /hello to backend").waitFor();
    expect(await v1.textContent()).toContain(app.adminEmail);

    // Edit the route (v2 rewrites to /v2), publish, and the proxy follows.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Routes" }).click();
    await page.getByRole("link", { name: "hello", exact: true }).click();
    await page.getByRole("heading", { name: "hello" }).waitFor();
    await expect(page.getByLabel("Prefix rewrite").inputValue()).resolves.toBe("/greet");
    await page.getByLabel("Prefix rewrite").fill("/v2");
    await page.getByRole("button", { name: "Save route" }).click();
    await page.waitForURL(/\/routes$/);
    await page.getByTestId("publish-open").click();
    await dialog.getByRole("list", { name: "Pending changes" }).getByText("main").waitFor();
    await dialog.getByLabel("Message").fill("e2e: rewrite to /v2");
    await dialog.getByRole("button", { name: "Publish", exact: true }).click();
    await dialog.getByTestId("publish-result").getByText("Published version 2").waitFor();
    await dialog.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "hidden" });
    await eventually("the proxy to serve v2", async () => {
      const body = (await (await fetch(`http://127.0.0.1:${listenerPort}/hello/world`)).json()) as { path?: string };
      return body.path === "/v2/world" ? true : undefined;
    });

    // Roll back to v1 (with confirmation): a new version 3 with v1's content goes live.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Versions" }).click();
    await page.getByRole("button", { name: "Roll back to v1" }).click();
    await page.getByRole("button", { name: "Confirm rollback" }).click();
    await page.getByText("Rolled back: published version 3.").waitFor();
    await page.getByRole("row", { name: /v3/ }).getByText("rollback to v1").waitFor();
    await eventually("the proxy to serve v3 (= v1)", async () => {
      const body = (await (await fetch(`http://127.0.0.1:${listenerPort}/hello/world`)).json()) as { path?: string };
      return body.path === "/greet/world" ? true : undefined;
    });

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Nodes" }).click();
    await nodeRow.getByTestId("applied-version").getByText("v3").waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, "console-e2e.png"), fullPage: true });
  }
}
