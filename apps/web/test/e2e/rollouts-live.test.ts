/**
 * Issue #19 items 7 and 11 (part 3) in a real browser against the real console process and
 * PostgreSQL: a stepped rollout started from the Publish page and driven from the Rollouts
 * page (promote a step, pause, roll back) across nodes that speak the real control-plane
 * protocol (the proxy's own client, as in bench/control-plane.ts); and config pages in two
 * browser contexts updating from the server's live events without a reload, an open edit
 * form kept as typed with "changed by X — reload". Screenshots under test-artifacts/issue-19/.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { chromium } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { validateConfig } from "@switchyard/config-model";
import { startControlPlaneClient, type TControlPlaneClient } from "../../../proxy/src/control-plane/client.ts";
import { api, artifactsDir, axe, eventually, logIn, screenshotAfter, seedConfig, startConsole, serious, withEvidence, type TConsoleHandle, gotoHydrated } from "./fixtures.ts";

let app: TConsoleHandle;
let browser: Browser;
const contexts: BrowserContext[] = [];
let page: Page;
const nodes: { id: string; client: TControlPlaneClient; applied: { version: number; hash: string } | null }[] = [];
const WEB = ["web-a", "web-b", "web-c", "web-d"];

function config(ports: { users: number; orders: number; timeout?: number }) {
  return {
    listeners: [],
    routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "users", match: { prefix: "/users" }, route: { cluster: "users" } }] }] }],
    clusters: [
      { name: "users", endpoints: [{ address: "127.0.0.1", port: ports.users }], ...(ports.timeout ? { connectTimeoutMs: ports.timeout } : {}) },
      { name: "orders", endpoints: [{ address: "127.0.0.1", port: ports.orders }] },
    ],
    secrets: [],
    rateLimitPolicies: [],
  };
}

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const p = await context.newPage();
  p.setDefaultTimeout(15_000);
  p.on("dialog", (d) => void d.accept());
  await logIn(p, app);
  return p;
}

/** Marks the document: the mark is gone after any reload or navigation. */
async function markDocument(p: Page): Promise<void> {
  await p.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
}
async function notReloaded(p: Page): Promise<boolean> {
  return p.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);
}

function position(id: string): number {
  return createHash("sha256").update(id).digest().readUInt32BE(0) / 2 ** 32;
}

beforeAll(async () => {
  app = await startConsole();
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  page = await newPage();
  await seedConfig(app, config({ users: 9001, orders: 9002 }), "v1 for everyone");
  for (const id of WEB) {
    const node = { id, applied: null as { version: number; hash: string } | null, client: undefined as unknown as TControlPlaneClient };
    node.client = startControlPlaneClient({
      url: `ws://127.0.0.1:${app.port}/api/xds`,
      nodeId: id,
      group: "web",
      proxyVersion: "sim",
      getApplied: () => node.applied,
      apply: async (snapshot) => {
        const checked = validateConfig(snapshot.config);
        if (!checked.ok) return { ok: false, error: "invalid", issues: checked.issues };
        node.applied = { version: snapshot.version, hash: snapshot.hash };
        return { ok: true };
      },
      log: () => undefined,
    });
    nodes.push(node);
  }
  await eventually("v1 on every node", async () => (nodes.every((n) => n.applied?.version === 1) ? true : undefined));
}, 600_000);

afterEach(async (ctx) => {
  await screenshotAfter(page, "issue-19", ctx.task);
});

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.client.close()));
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await app?.stop();
});

describe.sequential("stepped rollouts and live config pages in a browser", () => {
  it("starts a stepped rollout from the Publish page and drives it from the Rollouts page", async () => {
    await withEvidence(page, app, "i19-rollout-steps-failure.png", async () => {
      await seedConfig(app, config({ users: 9011, orders: 9002 }));
      await gotoHydrated(page, `${app.url}/publish`);
      await page.getByLabel("Message").fill("users on 9011, in steps");
      await page.getByLabel("one group first (canary), promote later").check();
      await page.getByLabel("Canary group").fill("web");
      await page.getByLabel(/in steps: a percentage of its nodes/).check();
      await page.getByLabel("Steps (% of the group's nodes)").fill("25, 50, 100");
      // Long enough that nothing promotes by itself during the test.
      await page.getByLabel("Bake time per step (seconds)").fill("3600");
      await page.getByLabel(/SLO guard: roll the group back/).uncheck();
      await page.getByRole("button", { name: "Start the stepped rollout" }).click();
      await page.getByTestId("publish-result").getByRole("link", { name: "Rollouts" }).click();

      const sorted = [...WEB].sort((a, b) => position(a) - position(b));
      const detail = page.getByTestId("rollout-detail");
      const onRollout = async () => (await detail.locator('tr[data-on-rollout="yes"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-node-id")))).sort();
      // Step 1: 25 % of 4 nodes = the one with the lowest position; the page shows which.
      await expect.poll(onRollout, { timeout: 15_000 }).toEqual([sorted[0]]);
      await expect(detail.locator('[data-step-status="current"]').innerText()).resolves.toContain("25%");
      await expect.poll(() => nodes.filter((n) => n.applied?.version === 2).map((n) => n.id), { timeout: 15_000 }).toEqual([sorted[0]]);
      await expect(detail.getByTestId("rollout-bake").innerText()).resolves.toMatch(/Step 1 of 3 \(25% of the group, 1 of 4 nodes on v2\)/);

      // Promote one step by hand.
      await page.getByRole("button", { name: "Promote to 50% now" }).click();
      await expect.poll(onRollout, { timeout: 15_000 }).toEqual(sorted.slice(0, 2).sort());
      await expect.poll(() => nodes.filter((n) => n.applied?.version === 2).length, { timeout: 15_000 }).toBe(2);

      // Pause: the list says so; the page for the screenshot.
      await page.getByRole("button", { name: "Pause" }).click();
      await page.getByRole("button", { name: "Resume" }).waitFor();
      await expect(page.getByTestId("rollouts").innerText()).resolves.toContain("paused");
      await expect(detail.getByTestId("rollout-bake").innerText()).resolves.toContain("paused by");
      await page.screenshot({ path: join(artifactsDir("issue-19"), "rollout-steps.png"), fullPage: true });
      // The steps, the bake line and the nodes table pass axe like every other page.
      expect(serious(await axe(page))).toEqual([]);

      // A step promoted through the REST API (the CLI's path) shows up without a reload.
      await markDocument(page);
      const id = Number(await page.getByTestId("rollouts").locator("tr[data-rollout-id]").first().getAttribute("data-rollout-id"));
      expect((await api(app, `/rollouts/${id}/promote`, { method: "POST", json: {} })).status).toBe(200);
      await expect.poll(onRollout, { timeout: 15_000 }).toEqual([...WEB].sort());
      expect(await notReloaded(page)).toBe(true);

      // Roll the whole group back.
      await page.getByRole("button", { name: "Roll back the group" }).click();
      await expect.poll(() => page.getByTestId("rollout-state").first().innerText(), { timeout: 15_000 }).toBe("rolled back");
      await expect.poll(() => nodes.every((n) => n.applied?.version === 1), { timeout: 15_000 }).toBe(true);
    });
  }, 180_000);

  it("updates lists and an idle editor live in another browser, and keeps an open edit form as typed", async () => {
    const lists = await newPage();
    const idleEditor = await newPage();
    await withEvidence(page, app, "i19-live-config-failure.png", async () => {
      await seedConfig(app, config({ users: 9011, orders: 9002 }));
      await lists.goto(`${app.url}/clusters`);
      await lists.getByText("127.0.0.1:9011").first().waitFor();
      await markDocument(lists);

      await idleEditor.goto(`${app.url}/clusters/orders`);
      await expect.poll(() => idleEditor.getByLabel("Connect timeout (ms)").inputValue()).not.toBe("");
      await markDocument(idleEditor);

      // This page is being edited.
      await page.goto(`${app.url}/clusters/users`);
      const timeout = page.getByLabel("Connect timeout (ms)");
      await timeout.fill("1234");
      await markDocument(page);

      // Someone else changes both clusters through the REST API (the CLI's path).
      const changed = config({ users: 9021, orders: 9022, timeout: 4321 });
      (changed.clusters[1] as { connectTimeoutMs?: number }).connectTimeoutMs = 2500;
      const put = await api(app, "/config", { method: "PUT", json: changed });
      expect(put.status, put.text).toBe(200);

      // The list updates in place.
      await lists.getByText("127.0.0.1:9021").first().waitFor();
      expect(await notReloaded(lists)).toBe(true);
      // The idle editor takes the new content.
      await expect.poll(() => idleEditor.getByLabel("Connect timeout (ms)").inputValue(), { timeout: 15_000 }).toBe("2500").catch(async (err: unknown) => {
        await idleEditor.screenshot({ path: join(artifactsDir("issue-19"), "idle-editor-failure.png"), fullPage: true });
        throw err;
      });
      expect(await notReloaded(idleEditor)).toBe(true);
      // The form being edited keeps the typed value and says who changed the cluster.
      const banner = page.getByTestId("changed-elsewhere");
      await banner.waitFor();
      expect(await banner.innerText()).toMatch(/Changed by \S+/);
      expect(await timeout.inputValue()).toBe("1234");
      expect(await notReloaded(page)).toBe(true);
      await page.screenshot({ path: join(artifactsDir("issue-19"), "live-changed-elsewhere.png"), fullPage: true });
      expect(serious(await axe(page))).toEqual([]);
      // Reload takes the other user's version.
      await banner.getByRole("button", { name: "reload" }).click();
      await expect.poll(() => timeout.inputValue()).toBe("4321");
      await expect(banner.count()).resolves.toBe(0);
    });
  }, 180_000);
});
