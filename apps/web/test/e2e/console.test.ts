/**
 * The console in a real browser, end to end: log in, create a cluster pointing at a real
 * upstream and a route to it, see a server-side validation error next to its field,
 * publish, watch the proxy node (the real CLI, managed mode) apply the version, and send
 * a request through the proxy that reaches the upstream.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startConsole, type TConsoleHandle } from "../helpers/start-console.ts";

const ROOT = resolve(import.meta.dirname, "../../../..");
const ARTIFACTS = join(ROOT, "test-artifacts");

let app: TConsoleHandle;
let browser: Browser;
let page: Page;
let upstream: Server;
let upstreamPort: number;
let proxy: ChildProcess;
let listenerPort: number;
let adminPort: number;
let cacheDir: string;
const upstreamHits: string[] = [];
const proxyLog: string[] = [];

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}\nproxy log:\n${proxyLog.slice(-20).join("\n")}`);
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    upstreamHits.push(req.url ?? "");
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ upstream: "e2e", path: req.url, host: req.headers.host }));
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  upstreamPort = (upstream.address() as { port: number }).port;
  [listenerPort, adminPort] = [await freePort(), await freePort()];

  app = await startConsole();

  // The console has no listener editor yet: the listener (on a free port) comes in through
  // the REST API, with the empty route config it serves. Everything else is done in the UI.
  const put = await fetch(`${app.url}/api/v1/config`, {
    method: "PUT",
    headers: { authorization: `Bearer ${app.apiToken}`, "content-type": "application/json" },
    body: JSON.stringify({
      listeners: [{ name: "public", address: "127.0.0.1", port: listenerPort, routeConfig: "main" }],
      routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [] }] }],
    }),
  });
  expect(put.status, await put.text()).toBe(200);

  cacheDir = mkdtempSync(join(tmpdir(), "swy-e2e-cache-"));
  proxy = spawn(
    process.execPath,
    [
      join(ROOT, "apps/proxy/bin/switchyard-proxy.js"),
      "--control-plane", `ws://127.0.0.1:${app.port}/api/xds`,
      "--node-id", "e2e",
      "--workers", "1",
      "--admin", `127.0.0.1:${adminPort}`,
      "--cache-dir", cacheDir,
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  for (const s of [proxy.stdout!, proxy.stderr!]) s.on("data", (d: Buffer) => proxyLog.push(...d.toString().split("\n").filter(Boolean)));

  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(15_000);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  if (proxy && proxy.exitCode === null && proxy.signalCode === null) {
    const exited = new Promise((r) => proxy.once("exit", r));
    proxy.kill("SIGTERM");
    await exited;
  }
  await app?.stop();
  await new Promise((r) => upstream?.close(r));
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
});

describe("console in a browser", () => {
  it("logs in, creates a cluster and a route, shows a server-side error by its field, publishes, traffic flows, edits and rolls back", async () => {
    try {
      await flow();
    } catch (err) {
      // Leave evidence: the page as it was, its text, and the console's log.
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "console-e2e-failure.png"), fullPage: true }).catch(() => {});
      const text = await page.locator("body").innerText().catch(() => "");
      throw new Error(`${(err as Error).message}\n--- page ${page.url()} ---\n${text.slice(0, 2000)}\n--- console ---\n${app.output().slice(-3000)}`, { cause: err });
    }
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
    mkdirSync(ARTIFACTS, { recursive: true });
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
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "console-e2e.png"), fullPage: true });
  }
}
