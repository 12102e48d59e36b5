/**
 * An axe-core check of every console page in a real browser (Debian's Chromium via
 * playwright-core) against the real console process on real PostgreSQL, with a published
 * config and a real proxy node connected, so the pages show their tables, charts and
 * graphs rather than only their empty states. A page passes when axe finds no serious or
 * critical violation (WCAG 2.x A/AA rules and axe's best practices); every page's full
 * result is written to test-artifacts/accessibility/axe-results.json.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { artifactsDir, axe, eventually, freePort, logIn, openBrowser, screenshotAfter, seedConfig, startConsole, startManagedProxy, startUpstream, type TAxeViolation, type TConsoleHandle, type TManagedProxy, serious, gotoHydrated } from "./fixtures.ts";

const ARTIFACTS = artifactsDir("accessibility");

/** Every page of the console's navigation, and the heading that says it has rendered. */
const PAGES: { name: string; path: string; heading: RegExp }[] = [
  { name: "Overview", path: "/overview", heading: /^Overview$/ },
  { name: "Listeners", path: "/listeners", heading: /^Listeners$/ },
  { name: "Route configs", path: "/route-configs", heading: /^Route configs$/ },
  { name: "Routes", path: "/routes", heading: /^Routes$/ },
  { name: "Clusters", path: "/clusters", heading: /^Clusters$/ },
  { name: "Secrets", path: "/secrets", heading: /secrets/i },
  { name: "Rate limits", path: "/rate-limits", heading: /^Rate-limit policies$/ },
  { name: "Tester", path: "/tester", heading: /tester/i },
  { name: "Publish", path: "/publish", heading: /publish/i },
  { name: "Versions", path: "/versions", heading: /^Versions$/ },
  { name: "Rollouts", path: "/rollouts", heading: /^Rollouts$/ },
  { name: "Nodes", path: "/nodes", heading: /^Nodes$/ },
  { name: "Node", path: "/nodes/a11y-1", heading: /a11y-1/ },
  { name: "Topology", path: "/topology", heading: /^Topology$/ },
  { name: "Traces", path: "/traces", heading: /^Traces$/ },
  { name: "Dashboards", path: "/dashboards", heading: /^Traffic$/ },
  { name: "Audit", path: "/audit", heading: /audit/i },
  { name: "Users", path: "/users", heading: /^Users$/ },
  { name: "Tokens", path: "/tokens", heading: /tokens/i },
  { name: "Import", path: "/import", heading: /import/i },
  { name: "Cluster editor", path: "/clusters/users", heading: /users/ },
  { name: "Route editor", path: "/routes/main/all/users", heading: /users/ },
];


let app: TConsoleHandle;
let browser: Browser;
let page: Page;
let proxy: TManagedProxy;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
const results: Record<string, TAxeViolation[]> = {};

beforeAll(async () => {
  upstream = await startUpstream("a11y");
  const listenerPort = await freePort();
  app = await startConsole();
  await seedConfig(
    app,
    {
      listeners: [{ name: "public", address: "127.0.0.1", port: listenerPort, routeConfig: "main", httpFilters: [{ type: "cors", allowOrigins: ["*"] }] }],
      routeConfigs: [
        {
          name: "main",
          virtualHosts: [
            {
              name: "all",
              domains: ["*"],
              routes: [
                { name: "users", match: { prefix: "/users" }, route: { cluster: "users" } },
                { name: "ping", match: { path: "/ping" }, directResponse: { status: 200, body: "pong" } },
              ],
            },
          ],
        },
      ],
      clusters: [{ name: "users", endpoints: [{ address: "127.0.0.1", port: upstream.port }] }],
    },
    "a11y: v1",
  );
  proxy = await startManagedProxy(app, "a11y-1");
  // Traffic through the proxy, so the dashboards, topology and traces have something to draw.
  await eventually("the proxy to serve /ping", async () => ((await fetch(`http://127.0.0.1:${listenerPort}/ping`).catch(() => undefined))?.status === 200 ? true : undefined));
  for (let i = 0; i < 5; i++) await fetch(`http://127.0.0.1:${listenerPort}/users/${i}`).then((r) => r.text());
  ({ browser, page } = await openBrowser());
}, 600_000);

afterEach(async (ctx) => {
  await screenshotAfter(page, "accessibility", ctx.task);
});

afterAll(async () => {
  writeFileSync(join(ARTIFACTS, "axe-results.json"), JSON.stringify(results, null, 2));
  await browser?.close();
  await proxy?.stop();
  await app?.stop();
  await upstream?.close();
});

describe.sequential("axe on every console page", () => {
  it("Login has no serious or critical violation", async () => {
    await page.goto(`${app.url}/login`);
    await page.getByRole("button", { name: "Log in" }).waitFor();
    results["Login"] = await axe(page);
    expect(serious(results["Login"])).toEqual([]);
    await logIn(page, app);
  });

  for (const { name, path, heading } of PAGES) {
    it(`${name} has no serious or critical violation`, async () => {
      await page.goto(`${app.url}${path}`);
      await page.getByRole("heading", { name: heading }).first().waitFor();
      // Queries settled: nothing left saying it is loading.
      await expect.poll(() => page.getByText(/^Loading…$/).count()).toBe(0);
      results[name] = await axe(page);
      expect(serious(results[name])).toEqual([]);
    });
  }

  it("the publish dialog has no serious or critical violation", async () => {
    await gotoHydrated(page, `${app.url}/overview`);
    await page.getByTestId("publish-open").click();
    const dialog = page.getByRole("dialog", { name: "Publish" });
    await dialog.getByLabel("Message").waitFor();
    results["Publish dialog"] = await axe(page);
    expect(serious(results["Publish dialog"])).toEqual([]);
    await page.keyboard.press("Escape");
  });
});
