/**
 * Issue #19 in a real browser, against the real console process, PostgreSQL, a managed
 * proxy node and a real upstream: the structural diff (values, moved routes) in the
 * version compare and the publish dialog, the CodeMirror YAML editor (completion and
 * schema issues from the JSON Schema, the server's issues in the gutter), the node page
 * (applied vs target, last NACK with its path) and the change markers on the charts.
 * Screenshots under test-artifacts/issue-19/.
 */
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { api, artifactsDir, eventually as until, freePort, logIn, openBrowser, screenshotAfter, seedConfig, startConsole, startManagedProxy, startUpstream, withEvidence, type TConsoleHandle, type TManagedProxy, gotoHydrated } from "./fixtures.ts";

let app: TConsoleHandle;
let browser: Browser;
let page: Page;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let proxy: TManagedProxy;
let listenerPort: number;
/** The orders cluster's port: nothing needs to listen there (the diff is about config). */
let ordersPort: number;

const eventually = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000) => until(what, fn, timeoutMs, () => `proxy log:\n${proxy?.log.slice(-20).join("\n")}`);

const route = (name: string) => ({ name, match: { prefix: `/${name}` }, route: { cluster: name } });
/** Two clusters on two ports (users is the real upstream) and three routes in the given order. */
function config(usersPort: number, ordersPort: number, order: string[], extraClusters: unknown[] = []) {
  return {
    // The test's requests come from loopback: their force-trace header is honoured.
    listeners: [{ name: "public", address: "127.0.0.1", port: listenerPort, protocol: "http", routeConfig: "main", tracing: { trustedSources: ["127.0.0.1/32"] } }],
    routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: order.map(route) }] }],
    clusters: [
      { name: "users", endpoints: [{ address: "127.0.0.1", port: usersPort }] },
      { name: "orders", endpoints: [{ address: "127.0.0.1", port: ordersPort }] },
      { name: "ping", endpoints: [{ address: "127.0.0.1", port: usersPort }] },
      ...extraClusters,
    ],
    secrets: [],
    rateLimitPolicies: [],
  };
}

beforeAll(async () => {
  upstream = await startUpstream("i19");
  listenerPort = await freePort();
  ordersPort = await freePort();
  app = await startConsole();
  proxy = await startManagedProxy(app, "i19-1");
  ({ browser, page } = await openBrowser());
  await logIn(page, app);
}, 600_000);

afterEach(async (ctx) => {
  await screenshotAfter(page, "issue-19", ctx.task);
});

afterAll(async () => {
  await browser?.close();
  await proxy?.stop();
  await app?.stop();
  await upstream?.close();
});

describe.sequential("issue 19 in a browser", () => {
  it("compares two versions value by value: a port changed to another cluster's port, reordered routes marked, text hunks", async () => {
    await seedConfig(app, config(upstream.port, ordersPort, ["users", "orders", "ping"]), "i19: v1");
    // v2: users now on the orders port (the same text exists in v1), ping moved first.
    await seedConfig(app, config(ordersPort, ordersPort, ["ping", "users", "orders"]), "i19: v2");
    await withEvidence(page, app, "i19-compare-failure.png", async () => {
      await page.goto(`${app.url}/versions?compare=1&to=2`);
      const changes = page.getByRole("list", { name: "Version changes" });
      const users = changes.locator('li[data-resource="clusters/users"]');
      await users.waitFor();
      expect(await users.locator("tr").first().innerText()).toMatch(new RegExp(`endpoints\\[0\\]\\.port\\s+${upstream.port}\\s+→\\s+${ordersPort}`));
      await changes.locator('li[data-resource="routes/main/all/ping"]').getByTestId("moved").getByText("moved #3 → #1").waitFor();
      // Moving ping first explains the new order: users and orders are not marked.
      expect(await changes.getByTestId("moved").count()).toBe(1);
      const text = page.getByTestId("text-diff");
      await text.locator(".line-removed", { hasText: `port: ${upstream.port}` }).first().waitFor();
      await text.locator(".line-added", { hasText: `port: ${ordersPort}` }).first().waitFor();
    });
  });

  it("shows the pending diff in the publish dialog with before and after values", async () => {
    await seedConfig(app, { ...config(ordersPort, ordersPort, ["ping", "users", "orders"]), clusters: config(upstream.port, ordersPort, [])["clusters"] });
    await gotoHydrated(page, `${app.url}/overview`);
    await page.getByTestId("publish-open").click();
    const dialog = page.getByRole("dialog", { name: "Publish" });
    const users = dialog.getByRole("list", { name: "Pending changes" }).locator('li[data-resource="clusters/users"]');
    await users.waitFor();
    expect(await users.innerText()).toMatch(new RegExp(`endpoints\\[0\\]\\.port\\s+${ordersPort}\\s+→\\s+${upstream.port}`));
    await page.screenshot({ path: join(artifactsDir("issue-19"), "publish-dialog.png") });
    await dialog.getByLabel("Message").fill("i19: v3 users back");
    await dialog.getByRole("button", { name: "Publish", exact: true }).click();
    await dialog.getByTestId("publish-result").getByText("Published version 3").waitFor();
    await page.keyboard.press("Escape");
  });

  it("edits YAML in CodeMirror: line numbers, completion from the JSON Schema, schema issues and the server's issues in the gutter", async () => {
    await page.goto(`${app.url}/clusters/users?view=yaml`);
    const editor = page.getByTestId("yaml-editor");
    await editor.locator(".cm-lineNumbers .cm-gutterElement", { hasText: /^1$/ }).waitFor();
    const content = page.getByLabel("Cluster (YAML or JSON)");
    // The stored cluster has every default; start from a short document (typed like a paste).
    await content.fill(`name: users\nendpoints:\n  - address: 127.0.0.1\n    port: ${upstream.port}\n`);
    await expect.poll(() => content.locator(".cm-line").count()).toBe(5);
    await content.click();
    await page.keyboard.press("Control+End");
    // Completion of a key the cluster does not have yet, then of its enum values.
    await page.keyboard.type("lbPol");
    const popup = page.locator(".cm-tooltip-autocomplete");
    await popup.getByText("lbPolicy").waitFor();
    // CodeMirror ignores Enter for 75 ms after a popup opens (interactionDelay: no accidental
    // picks while typing); the popup is already open here, so this only outwaits that.
    await page.waitForTimeout(200);
    await page.keyboard.press("Enter");
    await expect.poll(() => content.locator(".cm-line").last().innerText()).toMatch(/^lbPolicy:\s*$/);
    await page.keyboard.press("Control+Space");
    await popup.getByText("maglev").waitFor();
    await page.keyboard.type("fastest");
    await page.keyboard.press("Escape");
    // A value the schema refuses: a gutter marker on that line, and the issue in the list.
    const lastLine = await content.locator(".cm-line").count();
    const marker = editor.locator(".cm-gutter-lint .cm-gutterElement").filter({ has: page.locator(".cm-lint-marker-error") });
    await marker.first().waitFor();
    expect(await content.locator(".cm-line").nth(lastLine - 1).innerText()).toBe("lbPolicy: fastest");
    await page.getByRole("list", { name: "Issues" }).getByText(/lbPolicy/).first().waitFor();
    for (let i = 0; i < "fastest".length; i++) await page.keyboard.press("Backspace");
    await page.keyboard.type("maglev");
    await marker.first().waitFor({ state: "detached" });
    await page.getByText("Valid against config model v1.").waitFor();

    // What only the server knows (references): its issue lands in the gutter at its line.
    await page.goto(`${app.url}/route-configs/main?view=yaml`);
    const rc = page.getByLabel("Route config (YAML or JSON)");
    await rc.waitFor();
    const yaml = ["name: main", "virtualHosts:", "  - name: all", "    domains: ['*']", "    routes:", "      - name: users", "        match: { prefix: /users }", "        route: { cluster: userz }", ""].join("\n");
    await rc.fill(yaml);
    await expect.poll(() => rc.innerText()).toContain("userz");
    await page.getByRole("button", { name: "Save route config" }).click();
    await page.getByRole("list", { name: "Issues" }).getByText(/userz/).first().waitFor();
    const serverMarker = page.getByTestId("yaml-editor").locator(".cm-gutter-lint .cm-gutterElement").filter({ has: page.locator(".cm-lint-marker-error") });
    await serverMarker.first().waitFor();
    const markerBox = await serverMarker.first().boundingBox();
    const line8 = await page.getByTestId("yaml-editor").locator(".cm-lineNumbers .cm-gutterElement", { hasText: /^8$/ }).boundingBox();
    expect(Math.abs(markerBox!.y - line8!.y)).toBeLessThan(3);
    await page.screenshot({ path: join(artifactsDir("issue-19"), "editor-server-issue.png"), fullPage: true });
  });

  it("shows a node against its target: both versions, the diff between them, the last NACK with its path in the refused YAML", async () => {
    await eventually("the node to apply v3", async () => {
      const nodes = (await api(app, "/nodes")).body as { id: string; appliedVersion: number | null }[];
      return nodes.find((n) => n.id === "i19-1" && n.appliedVersion === 3) ? true : undefined;
    });
    // v4: a second listener on a port the upstream already holds. Only the node can find
    // that out (the console checks what a config says, not this host's sockets): a NACK.
    const busy = { name: "busy", address: "127.0.0.1", port: upstream.port, protocol: "http", routeConfig: "main" };
    const v4 = config(upstream.port, ordersPort, ["ping", "users", "orders"]);
    await seedConfig(app, { ...v4, listeners: [...v4.listeners, busy] }, "i19: v4 refused");
    await page.goto(`${app.url}/nodes`);
    await page.locator('tr[data-node-id="i19-1"]').getByRole("link", { name: "i19-1" }).click();
    await page.waitForURL(/\/nodes\/i19-1$/);
    await page.getByTestId("last-nack").waitFor({ timeout: 30_000 });
    await page.getByTestId("applied-version").getByRole("link", { name: "v3" }).waitFor();
    await page.getByTestId("target-version").getByRole("link", { name: "v4" }).waitFor();
    await page.getByTestId("off-target").getByText("Serves v3, its target is v4 — it refused the target (below)").waitFor();
    await page.getByRole("list", { name: "Changes to the target" }).locator('li.diff-added[data-resource="listeners/busy"]').waitFor();
    const nack = page.getByTestId("last-nack");
    await nack.getByTestId("nack-path").getByText("listeners[1].port").waitFor();
    await nack.locator(".line-removed", { hasText: `port: ${upstream.port}` }).waitFor();
    await page.screenshot({ path: join(artifactsDir("issue-19"), "node-page.png"), fullPage: true });
    // The links lead to the versions compared.
    await page.getByRole("link", { name: "compare the two versions" }).click();
    await page.waitForURL(/\/versions\?compare=3&to=4$/);
    await page.getByRole("list", { name: "Version changes" }).locator('li[data-resource="listeners/busy"]').waitFor();
  });

  it("draws publish, rollback, canary start and promotion markers on the dashboards and the Overview sparkline", async () => {
    // Back to a config the node serves, traffic through it, then a canary and its promotion and a rollback.
    await seedConfig(app, config(upstream.port, ordersPort, ["ping", "users", "orders"]), "i19: v5 fixed");
    await eventually("traffic through the proxy", async () => ((await fetch(`http://127.0.0.1:${listenerPort}/users/1`).catch(() => null))?.status === 200 ? true : undefined));
    for (let i = 0; i < 20; i++) await fetch(`http://127.0.0.1:${listenerPort}/users/${i}`);
    await api(app, "/config", { method: "PUT", json: config(upstream.port, ordersPort, ["users", "orders", "ping"]) });
    const canary = await api(app, "/versions", { method: "POST", json: { message: "i19: v6 canary", group: "canary" } });
    expect(canary.status, canary.text).toBe(201);
    const rolloutId = (canary.body as { rolloutId: number }).rolloutId;
    expect((await api(app, `/rollouts/${rolloutId}/promote`, { method: "POST" })).status).toBe(200);
    expect((await api(app, "/versions/5/rollback", { method: "POST" })).status).toBeLessThan(300);

    await page.goto(`${app.url}/dashboards`);
    const legend = page.getByTestId("marker-legend");
    for (const kind of ["publish", "canary", "promote", "rollback"]) await legend.locator(`li[data-kind="${kind}"]`).first().waitFor();
    await legend.getByText(/canary start v6 canary/).waitFor();
    expect(await page.getByTestId("chart-rate").locator(".recharts-reference-line").count()).toBeGreaterThanOrEqual(4);

    await page.goto(`${app.url}/overview`);
    const spark = page.getByTestId("traffic-sparkline");
    await spark.waitFor({ timeout: 30_000 });
    await spark.getByTestId("marker-legend").locator('li[data-kind="promote"]').waitFor();
    expect(await spark.locator(".recharts-reference-line").count()).toBeGreaterThanOrEqual(4);
  }, 120_000);

  it("explains a 503 from the traces list and from a route's error chart: flag in words, endpoint and its state, retries, route and version, what to change", async () => {
    // A route to a port nothing listens on: every request fails with 503 UF.
    const closedPort = await freePort();
    const base = config(upstream.port, ordersPort, ["users", "orders", "ping"]);
    const broken = {
      ...base,
      routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [route("dead"), ...base.routeConfigs[0]!.virtualHosts[0]!.routes] }] }],
      clusters: [...base.clusters, { name: "dead", endpoints: [{ address: "127.0.0.1", port: closedPort }] }],
    };
    await seedConfig(app, broken, "i19: dead route");
    const res = await eventually("a 503 from the dead route", async () => {
      const r = await fetch(`http://127.0.0.1:${listenerPort}/dead/1`, { headers: { "x-switchyard-force-trace": "1" } });
      return r.status === 503 ? r : undefined;
    });
    expect(res.headers.get("x-switchyard-response-flags")).toBe("UF");

    await page.goto(`${app.url}/traces?status=5xx&route=dead`);
    const why = page.getByRole("link", { name: /^Why 503\?/ }).first();
    await eventually("the failed request's trace", async () => {
      if (await why.isVisible()) return true;
      await page.reload();
      return undefined;
    });
    await why.click();
    const panel = page.getByTestId("why-panel");
    await panel.getByTestId("why-headline").getByText(/503 from route "dead" → cluster "dead" on node i19-1 on v\d+: connecting to the upstream endpoint failed \(UF\)/).waitFor();
    await panel.getByTestId("why-endpoint").getByText(`127.0.0.1:${closedPort}`).waitFor();
    expect(await panel.getByTestId("why-retries").innerText()).toMatch(/^0 taken of 0 allowed/);
    await panel.getByTestId("why-route").getByRole("link", { name: "dead" }).waitFor();
    const advice = await panel.getByTestId("why-advice").innerText();
    expect(advice).toMatch(/route "dead" has no retryPolicy/);
    expect(advice).toMatch(/single endpoint \(127\.0\.0\.1:\d+\)/);
    await page.screenshot({ path: join(artifactsDir("issue-19"), "why-503.png"), fullPage: true });

    // From an access-log line (as the proxy wrote it), here one whose request was not sampled.
    const logLine = proxy.log.find((l) => l.includes('"path":"/dead/1"') && l.includes('"status":503'));
    expect(logLine, "the proxy's access-log line of the 503").toBeDefined();
    const unsampled = JSON.stringify({ ...JSON.parse(logLine!), traceId: null });
    await page.goto(`${app.url}/traces`);
    const explainer = page.getByTestId("explain-log");
    await explainer.getByText("Explain an access-log line").click();
    await explainer.getByLabel(/Access-log line/).fill(unsampled);
    await explainer.getByLabel(/Node that wrote it/).fill("i19-1");
    await explainer.getByRole("button", { name: "Explain" }).click();
    await explainer.getByTestId("why-headline").getByText(/503 from route "dead" → cluster "dead" on node i19-1 on v\d+: connecting to the upstream endpoint failed \(UF\)/).waitFor();
    await explainer.getByText("From the access-log line alone").waitFor();
    expect(await explainer.getByTestId("why-advice").innerText()).toMatch(/route "dead" has no retryPolicy/);

    // From the route's error chart: a click leads to its failed requests.
    await page.goto(`${app.url}/dashboards/routes/dead`);
    // The chart knows the point under the pointer from its tooltip state: sweep the plot
    // area from the right (where the failure is) until a point is under the pointer, then click.
    const errorsChart = page.getByTestId("chart-errors");
    const plot = (await errorsChart.locator(".recharts-cartesian-grid").first().boundingBox())!;
    const y = plot.y + plot.height / 2;
    let x = plot.x + plot.width - 2;
    for (; x > plot.x; x -= 4) {
      await page.mouse.move(x, y);
      if (await errorsChart.locator(".recharts-default-tooltip").isVisible()) break;
    }
    await page.mouse.click(x, y);
    await page.waitForURL(/\/traces\?/);
    const url = new URL(page.url());
    expect(url.searchParams.get("status")).toBe("5xx");
    expect(url.searchParams.get("route")).toBe("dead");
    await page.getByRole("link", { name: /^Why 503\?/ }).first().waitFor();
  }, 120_000);

  it("draws the topology true at 300 routes: a canary node on its own version, eds endpoints as the nodes report them, pan and zoom", async () => {
    const canaryProxy = await startManagedProxy(app, "i19-canary", ["--group", "canary"]);
    try {
      const manyRoutes = (first: string) => [first, ...Array.from({ length: 299 }, (_, i) => `r${i}`)];
      // Both proxies run on this host: the canary version listens on a port of its own.
      const canaryPort = await freePort();
      const fleet = (order: string[], firstCluster: string, port = listenerPort) => {
        const c = config(upstream.port, ordersPort, []);
        return {
          ...c,
          listeners: [{ ...c.listeners[0]!, port }],
          routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: order.map((n, i) => ({ name: n, match: { prefix: `/${n}` }, route: { cluster: i === 0 ? firstCluster : ["users", "orders", "fleet"][i % 3] } })) }] }],
          clusters: [...c.clusters, { name: "fleet", discovery: "eds" }],
        };
      };
      await seedConfig(app, fleet(manyRoutes("users"), "users"), "i19: 300 routes");
      const stable = ((await api(app, "/versions?limit=1")).body as { version: number }[])[0]!.version;
      const eds = await api(app, "/clusters/fleet/endpoints", { method: "PUT", json: { endpoints: [{ address: "127.0.0.1", port: upstream.port }] } });
      expect(eds.status, eds.text).toBe(200);
      // The canary group gets a version whose first route goes elsewhere; the stable node stays.
      await api(app, "/config", { method: "PUT", json: fleet(manyRoutes("users"), "orders", canaryPort) });
      const canary = await api(app, "/versions", { method: "POST", json: { message: "i19: canary topology", group: "canary" } });
      expect(canary.status, canary.text).toBe(201);
      const canaryVersion = (canary.body as { version: number }).version;
      let nodes: { id: string; group: string; appliedVersion: number | null; lastError: string | null }[] = [];
      await until(
        "both nodes on their versions",
        async () => {
          nodes = (await api(app, "/nodes")).body as typeof nodes;
          const on = (id: string) => nodes.find((n) => n.id === id)?.appliedVersion;
          return on("i19-1") === stable && on("i19-canary") === canaryVersion ? true : undefined;
        },
        60_000,
        () => `stable v${stable}, canary v${canaryVersion}; nodes: ${JSON.stringify(nodes)}\ncanary proxy log:\n${canaryProxy.log.slice(-15).join("\n")}`,
      );

      await page.goto(`${app.url}/topology`);
      const svg = page.getByTestId("topology");
      await eventually("the canary's own chain and the reported eds endpoint", async () => {
        await page.reload();
        await svg.locator(`[data-edge="proxy:i19-canary->listener:public@v${canaryVersion}"]`).waitFor({ state: "attached", timeout: 5_000 });
        await svg.locator(`[data-node="endpoint:fleet/127.0.0.1:${upstream.port}"]`).waitFor({ state: "attached", timeout: 5_000 });
        return true;
      });
      await svg.locator(`[data-edge="proxy:i19-1->listener:public@v${stable}"]`).waitFor({ state: "attached" });
      expect(await svg.locator(`[data-edge^="proxy:i19-canary->listener:public@v${stable}"]`).count()).toBe(0);
      expect(await svg.locator(`[data-node^="route:main@v${canaryVersion}/"]`).count()).toBe(300);
      // Both proxies, on their own chains, are on the first screen of the viewport.
      const viewport = (await page.locator(".panzoom-box").boundingBox())!;
      for (const id of ["proxy:i19-1", "proxy:i19-canary", `listener:public@v${stable}`, `listener:public@v${canaryVersion}`]) {
        const b = (await svg.locator(`[data-node="${id}"]`).boundingBox())!;
        expect(b.y + b.height, id).toBeLessThan(viewport.y + viewport.height);
      }
      // Readable: fitted to the width at no less than 60 %, and zoomable.
      const zoom = Number(await svg.getAttribute("data-zoom"));
      expect(zoom).toBeGreaterThanOrEqual(0.6);
      await page.getByRole("button", { name: "Zoom in" }).click();
      await expect.poll(async () => Number(await svg.getAttribute("data-zoom"))).toBeGreaterThan(zoom);
      await page.getByRole("button", { name: "Fit all" }).click();
      await expect.poll(async () => Number(await svg.getAttribute("data-zoom"))).toBeLessThan(zoom);
      await page.getByRole("button", { name: "100%" }).click();
      await svg.locator('[data-node="proxy:i19-canary"]').click();
      await page.getByTestId("topology-detail").getByText(`Serves v${canaryVersion} · group canary`).waitFor();
      await page.screenshot({ path: join(artifactsDir("issue-19"), "topology-300-routes.png") });
    } finally {
      await canaryProxy.stop();
    }
  }, 180_000);
});
