/**
 * Issue #14 item 7 in a real browser, against a real managed proxy: the route page's
 * "Filters" section disables a listener's fault filter (which aborts every request with
 * 503) on one route; a replacement the filter's schema refuses is shown at its field and
 * not saved; a stale edit is refused (409); after publishing, the node serves that route
 * from the upstream while the other route still gets the fault. The Nodes page lists, per
 * group, the plugin the node announced (`--plugin`) and the wasm module its target config
 * loads. Both pages pass axe.
 */
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { compileWat, minimalFilterWat, wasmSecret } from "../../../proxy/test/helpers/wasm-modules.ts";
import { api, artifactsDir, axe, eventually, freePort, logIn, openBrowser, screenshotAfter, seedConfig, serious, startConsole, startManagedProxy, startUpstream, type TConsoleHandle, type TManagedProxy, gotoHydrated } from "./fixtures.ts";

const TENANT = fileURLToPath(new URL("../../../../examples/plugins/tenant/index.ts", import.meta.url));
const ARTIFACTS = artifactsDir("filter-overrides");

let app: TConsoleHandle;
let proxy: TManagedProxy;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let browser: Browser;
let page: Page;
let port: number;
let wasm: Buffer;

const config = () => ({
  listeners: [
    {
      name: "edge",
      address: "127.0.0.1",
      port,
      routeConfig: "main",
      httpFilters: [
        { type: "wasm", name: "geo", module: { secret: "geo" } },
        { type: "fault", abort: { httpStatus: 503, percentage: 100 } },
      ],
    },
  ],
  routeConfigs: [
    {
      name: "main",
      virtualHosts: [
        {
          name: "all",
          domains: ["*"],
          routes: [
            { name: "open", match: { prefix: "/open" }, route: { cluster: "up" } },
            { name: "closed", match: { prefix: "/" }, route: { cluster: "up" } },
          ],
        },
      ],
    },
  ],
  clusters: [{ name: "up", endpoints: [{ address: "127.0.0.1", port: upstream.port }] }],
  secrets: [wasmSecret("geo", wasm)],
});

const status = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`).catch(() => undefined))?.status;
const storedRoute = async () => {
  const working = (await api(app, "/config")).body as { routeConfigs: { virtualHosts: { routes: { name: string; filterOverrides?: unknown }[] }[] }[] };
  return working.routeConfigs[0]!.virtualHosts[0]!.routes.find((r) => r.name === "open")!;
};

beforeAll(async () => {
  wasm = await compileWat(minimalFilterWat());
  upstream = await startUpstream("overrides");
  port = await freePort();
  app = await startConsole();
  await seedConfig(app, config(), "fault on every route");
  proxy = await startManagedProxy(app, "overrides-1", ["--plugin", TENANT]);
  await eventually("the node connected", async () => {
    const nodes = (await api(app, "/nodes")).body as { id: string; connected: boolean }[] | undefined;
    return nodes?.some((n) => n.id === "overrides-1" && n.connected) ? true : undefined;
  });
  // The fault filter runs on every route before any override.
  await eventually("the fault serving", async () => ((await status("/open")) === 503 ? true : undefined), 60_000, () => proxy.log.slice(-20).join("\n"));
  ({ browser, page } = await openBrowser());
  await logIn(page, app);
}, 600_000);

afterEach(async (ctx) => {
  await screenshotAfter(page, "filter-overrides", ctx.task);
});

afterAll(async () => {
  await browser?.close();
  await proxy?.stop();
  await app?.stop();
  await upstream?.close();
});

describe("per-route filter overrides", () => {
  it("lists the listener's filters, shows the server's issue at the replacement, refuses a stale edit, and a disabled filter does not run on that route", async () => {
    await page.goto(`${app.url}/routes/main/all/open`);
    const section = page.getByTestId("filter-overrides");
    await section.locator('[data-filter="geo"]').getByText("wasm").waitFor();
    await section.locator('[data-filter="fault"]').getByText("on edge").waitFor();

    // A replacement the fault filter's schema refuses: the server's issue shows at the YAML field, nothing is stored.
    await section.getByRole("radiogroup", { name: "Filter fault" }).getByText("Replace config").click();
    await expect.poll(() => page.locator("#override-fault-yaml").inputValue()).toContain("httpStatus: 503");
    // YAML that does not parse: refused in the browser, its syntax error at the field, nothing sent.
    await page.locator("#override-fault-yaml").fill("abort: { percentage: [50 }");
    await page.getByRole("button", { name: "Save route" }).click();
    await page.locator(".field:has(#override-fault-yaml) .field-error").getByText(/^YAML: /).waitFor();
    expect(await section.locator('[data-filter="fault"]').innerText()).not.toMatch(/unrecognized/i);
    expect((await storedRoute()).filterOverrides).toBeUndefined();
    await page.locator("#override-fault-yaml").fill("abort: { percentage: 50 }");
    await page.getByRole("button", { name: "Save route" }).click();
    await page.locator(".field:has(#override-fault-yaml) .field-error").getByText(/^abort: set httpStatus or grpcStatus/).waitFor();
    expect((await storedRoute()).filterOverrides).toBeUndefined();

    // A stale edit (the route changed elsewhere since the page loaded) is refused.
    const changed = config();
    Object.assign(changed.routeConfigs[0]!.virtualHosts[0]!.routes[0]!.route, { timeoutMs: 1234 });
    await seedConfig(app, changed);
    await section.getByRole("radiogroup", { name: "Filter fault" }).getByText("Disable").click();
    await page.getByRole("button", { name: "Save route" }).click();
    await page.getByRole("alert").filter({ hasText: /changed by someone else/ }).first().waitFor();
    expect((await storedRoute()).filterOverrides).toBeUndefined();

    // Reloaded: disable the fault filter on this route and save.
    await gotoHydrated(page, `${app.url}/routes/main/all/open`);
    await section.getByRole("radiogroup", { name: "Filter fault" }).getByText("Disable").click();
    await page.getByRole("button", { name: "Save route" }).click();
    await page.getByTestId("toast").getByText('Saved route "open"').waitFor();
    expect((await storedRoute()).filterOverrides).toEqual({ fault: { disabled: true } });

    // Stored and shown again as stored.
    await page.goto(`${app.url}/routes/main/all/open`);
    await expect.poll(() => section.getByRole("radiogroup", { name: "Filter fault" }).getByLabel("Disable").isChecked()).toBe(true);
    expect(await section.getByRole("radiogroup", { name: "Filter geo" }).getByLabel("Inherit").isChecked()).toBe(true);
    expect(serious(await axe(page))).toEqual([]);
    await section.screenshot({ path: join(ARTIFACTS, "route-filter-overrides.png") });

    expect((await api(app, "/versions", { method: "POST", json: { message: "no fault on /open" } })).status).toBe(201);
    await eventually("the override applied", async () => ((await status("/open/x")) === 200 ? true : undefined), 60_000, () => proxy.log.slice(-20).join("\n"));
    const served = await fetch(`http://127.0.0.1:${port}/open/x`);
    expect(((await served.json()) as { upstream: string }).upstream).toBe("overrides");
    // The other route still runs the fault filter.
    expect(await status("/other")).toBe(503);
    expect(upstream.hits).toContain("/open/x");
    expect(upstream.hits).not.toContain("/other");
  });

  it("shows per group the plugins its nodes announced and the wasm modules its target config loads", async () => {
    const nodes = (await api(app, "/nodes")).body as { id: string; group: string }[];
    const group = nodes.find((n) => n.id === "overrides-1")!.group;
    await page.goto(`${app.url}/nodes`);
    const g = page.getByTestId("group-inventory").locator(`[data-group="${group}"]`);
    const plugin = g.getByRole("table", { name: `Plugins of group ${group}` }).locator(`tr[data-plugin="${TENANT}"]`);
    await plugin.waitFor();
    expect(await plugin.innerText()).toMatch(/tenant\s+1\.0\.0\s+1 of 1/);
    const mod = g.getByRole("table", { name: `Wasm modules of group ${group}` }).locator('tr[data-wasm="geo"]');
    await mod.waitFor();
    const sha = createHash("sha256").update(wasm).digest("hex");
    const text = await mod.innerText();
    expect(text).toContain(sha.slice(0, 12));
    expect(text).not.toContain(sha);
    expect(text).toContain(`${wasm.length.toLocaleString("en")} bytes`);
    expect(text).toContain("edge");
    expect(serious(await axe(page))).toEqual([]);
    await page.getByTestId("group-inventory").screenshot({ path: join(ARTIFACTS, "group-inventory.png") });
  });
});
