/**
 * XSS attempts rendered inert (issue #10 part 5), in Debian's Chromium against the real
 * console: script-bearing text goes in through every channel an outsider or an operator
 * controls — a version message, a direct-response body and response-header value in the
 * config, a proxy node's id, labels and nack error (off the control-plane wire), an API
 * token name — and every page that shows them is visited. Nothing may execute (a global
 * set by the payloads stays unset, no dialog opens) and the payload must be visible as
 * plain text (so the test cannot pass by the text simply not being shown).
 */
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNode, helloFrame, type TFakeNode } from "../helpers/fake-node.ts";
import { api as apiOf, artifactsDir, logIn, openBrowser, startConsole, type TConsoleHandle, gotoHydrated } from "./fixtures.ts";

const ARTIFACTS = artifactsDir("hardening-xss");
const IMG = `<img src=x onerror="window.__xss='img'">`;
const SCRIPT = `<script>window.__xss='script'</script>`;
const SVG = `"><svg onload="window.__xss='svg'">`;

let app: TConsoleHandle;
let browser: Browser;
let page: Page;
let node: TFakeNode | undefined;
const dialogs: string[] = [];

const api = (path: string, init: { method?: string; json?: unknown } = {}) => apiOf(app, path, init);

beforeAll(async () => {
  app = await startConsole();
  const config = {
    listeners: [],
    routeConfigs: [
      {
        name: "main",
        virtualHosts: [
          {
            name: "all",
            domains: ["*"],
            responseHeaders: { add: [{ name: "x-note", value: SVG }] },
            routes: [{ name: "xss", match: { path: "/xss" }, directResponse: { status: 200, body: `${IMG}${SCRIPT}`, contentType: "text/html" } }],
          },
        ],
      },
    ],
    clusters: [],
  };
  expect((await api("/config", { method: "PUT", json: config })).status).toBe(200);
  expect((await api("/versions", { method: "POST", json: { message: `release ${IMG} ${SCRIPT}` } })).status).toBe(201);
  // A node whose id, labels and nack error carry markup (anything can speak the wire protocol).
  node = await connectNode(`ws://127.0.0.1:${app.port}/api/xds`);
  node.send(helloFrame(`edge-${IMG}`, "default", { labels: { zone: SVG } }));
  const deadline = Date.now() + 10_000;
  while (node.snapshots().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const snap = node.snapshots()[0] as { version: number; hash: string };
  node.send({ type: "nack", version: snap.version, hash: snap.hash, error: `refused ${SCRIPT}`, issues: [{ path: IMG, message: SVG }] });

  // Any dialog would be an XSS payload firing: recorded (the tests assert none), dismissed.
  ({ browser, page } = await openBrowser((d) => {
    dialogs.push(d.message());
    void d.dismiss();
  }));
  await logIn(page, app);
}, 600_000);

afterAll(async () => {
  node?.close();
  await browser?.close();
  await app?.stop();
});

async function visit(path: string, expectText: string[]): Promise<void> {
  await page.goto(`${app.url}${path}`);
  for (const text of expectText) await expect.poll(async () => (await page.locator("body").innerText()).includes(text), { timeout: 15_000, message: `${path} shows ${text}` }).toBe(true);
  // Give any injected handler (onerror of a broken image, onload) time to fire.
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss), path).toBeUndefined();
  expect(await page.locator("img[src='x'], svg[onload], script:not([src])").filter({ hasText: "__xss" }).count()).toBe(0);
  await page.screenshot({ path: join(ARTIFACTS, `${path.replace(/[^a-z0-9]+/gi, "-")}.png`), fullPage: true });
}

describe("XSS attempts are rendered as text", () => {
  it("version messages on the versions and overview pages", async () => {
    await visit("/versions", [IMG]);
    await visit("/overview", []);
  });

  it("node id, labels and nack error on the nodes page", async () => {
    await visit("/nodes", [`edge-${IMG}`, SCRIPT]);
  });

  it("config values in the route config document and the routes list", async () => {
    await visit("/route-configs/main", []);
    await visit("/routes", []);
    await visit("/audit", []);
  });

  it("the observability pages that list nodes and routes", async () => {
    for (const path of ["/topology", "/dashboards", "/traces"]) await visit(path, []);
  });

  it("an API token name on the tokens page", async () => {
    await gotoHydrated(page, `${app.url}/tokens`);
    await page.getByLabel("Name").first().fill(`ci ${IMG}`);
    await page.getByRole("button", { name: "Create API token" }).click();
    // Navigating away before the mutation's answer can cancel it: a CI run lost the token so.
    await page.getByTestId("new-token").waitFor();
    await visit("/tokens", [`ci ${IMG}`]);
  });

  it("nothing executed and no dialog opened anywhere", () => {
    expect(dialogs).toEqual([]);
  });
});
