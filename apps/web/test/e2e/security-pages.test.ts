/**
 * The security and rollout pages in a real browser (Debian's Chromium via
 * playwright-core) against the real console process on real PostgreSQL: users and roles,
 * API and node tokens shown once, a viewer refused, publish to a canary group with an
 * SLO guard, the rollout page (events, roll back), the audit log filters, and the node
 * registry columns (group, labels, target, drift). Screenshots go to
 * test-artifacts/security-pages/.
 */
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectNode, helloFrame, type TFakeNode } from "../helpers/fake-node.ts";
import { api as apiOf, artifactsDir, logIn, openBrowser, screenshotAfter, seedConfig, startConsole, type TConsoleHandle } from "./fixtures.ts";

const ARTIFACTS = artifactsDir("security-pages");

let app: TConsoleHandle;
let browser: Browser;
let page: Page;
let node: TFakeNode | undefined;
let nodeToken = "";

const nav = (name: string) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });

const api = (path: string, init: { method?: string; json?: unknown; token?: string } = {}) => apiOf(app, path, init);
const login = (p: Page, email: string, password: string) => logIn(p, app, email, password);

beforeAll(async () => {
  app = await startConsole();
  // A config and v1 for everyone, so a canary has a stable version to compare with.
  const config = {
    listeners: [],
    routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "ping", match: { path: "/ping" }, directResponse: { status: 200, body: "pong" } }] }] }],
    clusters: [{ name: "backend", endpoints: [{ address: "127.0.0.1", port: 9 }] }],
  };
  await seedConfig(app, config, "v1");
  ({ browser, page } = await openBrowser());
  await login(page, app.adminEmail, app.adminPassword);
}, 600_000);

afterEach(async (ctx) => {
  await screenshotAfter(page, "security-pages", ctx.task);
});

afterAll(async () => {
  node?.close();
  await browser?.close();
  await app?.stop();
});

describe("security and rollout pages", () => {
  it("an admin creates a viewer and changes a role on the Users page", async () => {
    await nav("Users").click();
    await page.getByLabel("E-mail").fill("viewer@switchyard.test");
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Create user" }).click();
    await expect.poll(() => page.locator('[data-field-error="user-password"]').textContent()).toContain("at least 8 characters");
    await page.getByLabel("Password").fill("viewer-password");
    await page.getByLabel("Role", { exact: true }).selectOption("editor");
    await page.getByRole("button", { name: "Create user" }).click();
    const row = page.locator('tr[data-user="viewer@switchyard.test"]');
    await row.waitFor();
    await row.getByLabel("Role of viewer@switchyard.test").selectOption("viewer");
    await expect.poll(() => row.getByLabel("Role of viewer@switchyard.test").inputValue()).toBe("viewer");
  });

  it("API tokens are shown once and work on REST; a revoked one does not; node tokens are per group", async () => {
    await nav("Tokens").click();
    await page.getByLabel("Name").first().fill("dashboard");
    await page.getByLabel("Scope").selectOption("read");
    await page.getByRole("button", { name: "Create API token" }).click();
    const token = (await page.getByTestId("new-token-value").first().textContent())!.trim();
    expect(token).toMatch(/^swy_pat_/);
    expect((await api("/nodes", { token })).status).toBe(200);
    expect((await api("/versions", { method: "POST", token, json: { message: "read tokens cannot" } })).status).toBe(403);
    // After a reload the list shows only the prefix.
    await page.reload();
    const row = page.locator('tr[data-token="dashboard"]');
    await row.waitFor();
    expect(await page.content()).not.toContain(token);
    await row.getByRole("button", { name: "Revoke" }).click();
    await row.getByText("revoked").waitFor();
    expect((await api("/nodes", { token })).status).toBe(401);

    await page.locator("#node-token-name").fill("canary nodes");
    await page.locator("#node-token-group").fill("canary");
    await page.getByRole("button", { name: "Create node token" }).click();
    nodeToken = (await page.getByTestId("new-token-value").last().textContent())!.trim();
    expect(nodeToken).toMatch(/^swy_node_/);
  });

  it("the node registry shows group, labels, target and refused connections", async () => {
    await expect(connectNode(`ws://127.0.0.1:${app.port}/api/xds`)).rejects.toThrow("HTTP 401");
    node = await connectNode(`ws://127.0.0.1:${app.port}/api/xds`, { authorization: `Bearer ${nodeToken}` });
    node.ws.on("message", (data) => {
      const f = JSON.parse(String(data)) as { type: string; version: number; hash: string };
      if (f.type === "snapshot") node!.send({ type: "ack", version: f.version, hash: f.hash });
    });
    node.send(helloFrame("canary-1", "canary", { labels: { zone: "eu-1" } }));
    await nav("Nodes").click();
    const row = page.locator('tr[data-node-id="canary-1"]');
    await row.getByText("zone=eu-1").waitFor();
    await expect.poll(() => row.getByTestId("target-version").textContent()).toContain("v1");
    await page.getByTestId("refusals").getByText("missing Authorization: Bearer <node token>").first().waitFor();
  });

  it("publishes to the canary group with an SLO guard, then rolls it back from the Rollouts page", async () => {
    // The top bar's publish dialog offers the rollout choice with the guard's thresholds.
    await page.getByTestId("publish-open").click();
    const dialog = page.getByRole("dialog", { name: "Publish" });
    await dialog.getByLabel("Message").fill("canary through the console");
    await dialog.getByLabel("one group first (canary), promote later").check();
    await dialog.getByLabel("Canary group").fill("canary");
    await expect(dialog.getByLabel("Window (seconds)").inputValue()).resolves.toBe("60");
    await dialog.getByLabel("Window (seconds)").fill("30");
    await dialog.getByRole("button", { name: "Publish to the group" }).click();
    // Following the result's link closes the dialog.
    await dialog.getByTestId("publish-result").getByRole("link", { name: "Rollouts" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.waitForURL(/\/rollouts\?id=\d+/);
    const detail = page.getByTestId("rollout-detail");
    await detail.getByText("Rollout #1: v2 on group “canary”").waitFor();
    await detail.getByText('"windowMs":30000').waitFor();
    await page.getByTestId("rollout-events").getByText("node canary-1 applied v2").waitFor();
    await page.getByRole("button", { name: "Roll back the group" }).click();
    await expect.poll(() => page.getByTestId("rollout-state").first().textContent()).toBe("rolled back");
    await page.getByTestId("rollout-events").getByText('group "canary" returned to v1').waitFor();
  });

  it("the audit log lists rollout steps and logins with who and from where, filtered", async () => {
    await nav("Audit log").click();
    await page.getByLabel("What").selectOption("rollout.");
    await page.locator('tr[data-action="rollout.rollback"]').first().waitFor();
    await page.locator('tr[data-action="rollout.start"]').first().waitFor();
    expect(await page.locator('tr[data-action="auth.login"]').count()).toBe(0);
    await page.getByLabel("What").selectOption("auth.");
    const login = page.locator('tr[data-action="auth.login"]').first();
    await login.waitFor();
    expect(await login.textContent()).toContain(app.adminEmail);
    expect(await login.textContent()).toMatch(/127\.0\.0\.1/);
  });

  it("a viewer sees a read-only console: a banner, no mutating controls, and cannot manage users", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const viewer = await context.newPage();
    viewer.setDefaultTimeout(15_000);
    try {
      await login(viewer, "viewer@switchyard.test", "viewer-password");
      await viewer.goto(`${app.url}/routes`);
      await viewer.getByTestId("read-only-banner").getByText("Read-only: you are signed in as a viewer").waitFor();
      await viewer.getByRole("row", { name: /ping/ }).waitFor();
      // Nothing to publish from, create, reorder or duplicate with.
      expect(await viewer.getByTestId("publish-open").count()).toBe(0);
      expect(await viewer.getByRole("link", { name: "New route" }).isVisible()).toBe(false);
      expect(await viewer.getByRole("button", { name: "Move ping up" }).isVisible()).toBe(false);
      // A route opens read-only: inputs disabled, no save or delete.
      await viewer.getByRole("link", { name: "ping", exact: true }).click();
      await viewer.getByRole("heading", { name: "ping" }).waitFor();
      await expect(viewer.getByLabel("Name", { exact: true }).isDisabled()).resolves.toBe(true);
      expect(await viewer.getByRole("button", { name: "Save route" }).isVisible()).toBe(false);
      expect(await viewer.getByRole("button", { name: /Delete route/ }).isVisible()).toBe(false);
      // Clusters, versions: no create, no rollback.
      await viewer.goto(`${app.url}/clusters`);
      await viewer.locator("table").getByText("backend").first().waitFor();
      expect(await viewer.getByRole("link", { name: "New cluster" }).isVisible()).toBe(false);
      await viewer.goto(`${app.url}/versions`);
      await viewer.getByRole("row", { name: /v1/ }).first().waitFor();
      expect(await viewer.getByRole("button", { name: /Roll back to/ }).count()).toBe(0);
      // The publish page shows the diff but its form is disabled.
      await viewer.goto(`${app.url}/publish`);
      await viewer.getByText("Viewers cannot publish.").waitFor();
      await expect(viewer.getByRole("button", { name: "Publish", exact: true }).isDisabled()).resolves.toBe(true);
      await viewer.goto(`${app.url}/users`);
      await viewer.getByText("Users and roles are managed by admins. You are viewer.").waitFor();
      await viewer.goto(`${app.url}/overview`);
      await viewer.getByTestId("read-only-banner").waitFor();
      await viewer.screenshot({ path: join(ARTIFACTS, "viewer-read-only.png"), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
