/**
 * XSS attempts rendered inert (issue #10 part 5), in Debian's Chromium against the real
 * console: script-bearing text goes in through every channel an outsider or an operator
 * controls — a version message, a direct-response body and response-header value in the
 * config, a proxy node's id, labels and nack error (off the control-plane wire), an API
 * token name — and every page that shows them is visited. Nothing may execute (a global
 * set by the payloads stays unset, no dialog opens) and the payload must be visible as
 * plain text (so the test cannot pass by the text simply not being shown).
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConsole, type TConsoleHandle } from "../helpers/start-console.ts";
import { connectNode, helloFrame, type TFakeNode } from "../helpers/fake-node.ts";

const ROOT = resolve(import.meta.dirname, "../../../..");
const ARTIFACTS = join(ROOT, "test-artifacts", "hardening-xss");
const IMG = `<img src=x onerror="window.__xss='img'">`;
const SCRIPT = `<script>window.__xss='script'</script>`;
const SVG = `"><svg onload="window.__xss='svg'">`;

let app: TConsoleHandle;
let browser: Browser;
let page: Page;
let node: TFakeNode | undefined;
const dialogs: string[] = [];

async function api(path: string, init: { method?: string; json?: unknown } = {}) {
  const res = await fetch(`${app.url}/api/v1${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${app.apiToken}`, ...(init.json !== undefined ? { "content-type": "application/json" } : {}) },
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
  return { status: res.status, text: await res.text() };
}

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

  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(15_000);
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(`${app.url}/login`);
  await page.getByLabel("Email").fill(app.adminEmail);
  await page.getByLabel("Password").fill(app.adminPassword);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
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
  mkdirSync(ARTIFACTS, { recursive: true });
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
    await page.goto(`${app.url}/tokens`);
    const name = page.getByLabel("Name").first();
    await name.fill(`ci ${IMG}`);
    await page.getByRole("button", { name: /create/i }).first().click();
    await visit("/tokens", [`ci ${IMG}`]);
  });

  it("nothing executed and no dialog opened anywhere", () => {
    expect(dialogs).toEqual([]);
  });
});
