import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { THttpFilter } from "../../src/filters/api.ts";
import { freePort } from "../helpers/free-port.ts";
import { startInProcessProxy, type TInProcessProxy } from "../helpers/in-process-proxy.ts";
import { startUpstream, type TEcho, type TUpstream } from "../helpers/start-upstream.ts";

/**
 * TypeScript plugins (issue #14 item 3) in the proxy's real runtime, against a real
 * upstream on 127.0.0.1 with a real client: the example plugin (examples/plugins/tenant:
 * zod schema, every phase) and test plugins that fail on purpose (fixtures/plugins:
 * JSON Schema). Covers request and response phases, bodies, async phases, metadata read by
 * a later filter and the access log, per-route overrides (disable, replace config),
 * failure isolation (throw, reject, hang -> 500 FE, counted, the proxy keeps serving) and
 * refused versions (bad config, throwing create(), bad module) with the entry's path.
 */
const TENANT = fileURLToPath(new URL("../../../../examples/plugins/tenant/index.ts", import.meta.url));
const FAULTY = fileURLToPath(new URL("../fixtures/plugins/faulty.mjs", import.meta.url));
const BAD_CREATE = new URL("../fixtures/plugins/bad-create.mjs", import.meta.url).href;

let up: TUpstream;
let proxy: TInProcessProxy;
let base: string;
let port: number;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A later filter (the filter API, after the plugin): reads what the plugin shared. */
const reader: THttpFilter = {
  name: "reader",
  onRequestHeaders(req) {
    const t = req.metadata.get("tenant") as { id: string } | undefined;
    req.headers.set("x-seen-by-reader", t ? t.id : "none");
  },
};

function config(tenantOverrides: Record<string, unknown> = {}) {
  const app = { cluster: "app" };
  return {
    listeners: [
      {
        name: "web",
        address: "127.0.0.1",
        port,
        routeConfig: "main",
        httpFilters: [
          {
            type: "plugin",
            name: "tenant",
            module: TENANT,
            config: { tenants: { acme: "pro", beta: "free" }, lookupDelayMs: 5, maskWords: ["s3cret"], footer: "\n-- via tenant" },
            ...tenantOverrides,
          },
          { type: "plugin", name: "faulty", module: FAULTY, timeoutMs: 300 },
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
              { name: "public", match: { prefix: "/public" }, route: app, filterOverrides: { tenant: { disabled: true } } },
              { name: "partner", match: { prefix: "/partner" }, route: app, filterOverrides: { tenant: { config: { tenants: { partner: "pro" } } } } },
              { name: "throw", match: { prefix: "/throw" }, route: app, filterOverrides: { faulty: { config: { mode: "throw" } } } },
              { name: "reject", match: { prefix: "/reject" }, route: app, filterOverrides: { faulty: { config: { mode: "reject" } } } },
              { name: "hang", match: { prefix: "/hang" }, route: app, filterOverrides: { faulty: { config: { mode: "hang" } } } },
              { name: "bad-return", match: { prefix: "/bad-return" }, route: app, filterOverrides: { faulty: { config: { mode: "bad-return" } } } },
              { name: "hang-response", match: { prefix: "/hang-response" }, route: app, filterOverrides: { faulty: { config: { mode: "hang-response" } } } },
              { name: "done-rejects", match: { prefix: "/done-rejects" }, route: app, filterOverrides: { faulty: { config: { mode: "reject-done", label: "done" } } } },
              { name: "logged", match: { prefix: "/logged" }, route: app, filterOverrides: { tenant: { config: { tenants: { acme: "pro" }, slowMs: 0 } } } },
              { name: "direct", match: { prefix: "/direct" }, directResponse: { status: 200, body: "direct answer" } },
              { name: "all", match: { prefix: "/" }, route: app },
            ],
          },
        ],
      },
    ],
    clusters: [{ name: "app", endpoints: [{ address: "127.0.0.1", port: up.port }] }],
  };
}

beforeAll(async () => {
  up = await startUpstream("app");
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  proxy = await startInProcessProxy(config(), { all: [reader], partner: [reader] });
}, 30_000);

afterAll(async () => {
  await proxy?.stop();
  await up?.close();
});

async function entryFor(path: string) {
  for (let i = 0; i < 200; i++) {
    const e = proxy.accessLog.find((x) => x.path === path);
    if (e) return e;
    await sleep(10);
  }
  throw new Error(`no access-log entry for ${path}`);
}

const metricsText = () => proxy.metrics.registry.metrics();

describe("TypeScript plugins: the example plugin", () => {
  it("async request phase: known tenant passes, upstream gets x-tenant-id, a later filter and the access log read the metadata", async () => {
    const res = await fetch(`${base}/orders`, { headers: { "x-tenant": "acme" } });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as TEcho;
    expect(echo.headers["x-tenant-id"]).toBe("acme");
    expect(echo.headers["x-seen-by-reader"]).toBe("acme");
    expect(res.headers.get("x-tenant")).toBe("acme; plan=pro");
    expect(res.headers.get("x-faulty")).toBe("faulty");
    expect((await entryFor("/orders")).metadata).toEqual({ tenant: { id: "acme", plan: "pro" }, faulty: "faulty" });
  });

  it("local replies from the request phase: 401 without the header, 403 for an unknown tenant; the upstream never sees them", async () => {
    const before = up.seen.length;
    const missing = await fetch(`${base}/orders`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: "x-tenant required" });
    const unknown = await fetch(`${base}/orders`, { headers: { "x-tenant": "mallory" } });
    expect(unknown.status).toBe(403);
    expect(unknown.headers.get("content-type")).toBe("application/json");
    expect(up.seen.length).toBe(before);
    expect(await metricsText()).toMatch(/switchyard_plugin_counter_total\{filter="tenant",counter="denied"\} [2-9]/);
  });

  it("request body: a word split across streamed chunks is masked before the upstream gets it", async () => {
    const parts = ["my password is s3", "cret and ", "s3cret again"];
    const stream = new ReadableStream({
      async pull(c) {
        const p = parts.shift();
        if (p === undefined) return c.close();
        await sleep(5);
        c.enqueue(new TextEncoder().encode(p));
      },
    });
    const res = await fetch(`${base}/submit`, { method: "POST", headers: { "x-tenant": "beta" }, body: stream, duplex: "half" } as RequestInit);
    expect(((await res.json()) as TEcho).body).toBe("my password is ****** and ****** again");
  });

  it("response body: the footer is appended to text answers only", async () => {
    const text = await fetch(`${base}/direct`, { headers: { "x-tenant": "acme" } });
    expect(await text.text()).toBe("direct answer\n-- via tenant");
    const json = await fetch(`${base}/orders`, { headers: { "x-tenant": "acme" } });
    expect(((await json.json()) as TEcho).upstream).toBe("app");
  });

  it("per-route overrides: a route disables the plugin, another replaces its config (its own instance)", async () => {
    const open = await fetch(`${base}/public/x`);
    expect(open.status).toBe(200);
    expect(open.headers.get("x-tenant")).toBeNull();
    const partner = await fetch(`${base}/partner/x`, { headers: { "x-tenant": "partner" } });
    expect(partner.status).toBe(200);
    expect(((await partner.json()) as TEcho).headers["x-seen-by-reader"]).toBe("partner");
    // acme is a tenant of the listener's config, not of the partner route's replacement.
    expect((await fetch(`${base}/partner/x`, { headers: { "x-tenant": "acme" } })).status).toBe(403);
  });

  it("ctx.log cannot pass a line off as another event: time, level and event stay the proxy's", () => {
    const line = proxy.logs.find((l) => l.event === "plugin_log" && l.fields.message === "faulty created");
    expect(line?.fields).toEqual({ message: "faulty created", label: "faulty", filter: "faulty", plugin: "faulty" });
  });

  it("ctx.log writes the proxy's event log, with the filter and plugin named", async () => {
    await fetch(`${base}/logged`, { headers: { "x-tenant": "acme" } });
    await entryFor("/logged");
    expect(proxy.logs.find((l) => l.event === "plugin_log" && l.fields.filter === "tenant")?.fields).toMatchObject({ filter: "tenant", plugin: "tenant", message: "slow request", tenant: "acme", status: 200 });
  });

  it("onDone runs after the response, with ctx.counter wired to the proxy's metrics", async () => {
    await fetch(`${base}/done-check`, { headers: { "x-tenant": "beta" } });
    await entryFor("/done-check");
    expect(await metricsText()).toMatch(/switchyard_plugin_counter_total\{filter="tenant",counter="done_free"\} [1-9]/);
  });
});

describe("TypeScript plugins: failure isolation", () => {
  it("a throwing, rejecting or badly answering phase fails that request with 500 FE, counted; the proxy keeps serving", async () => {
    const before = up.seen.length;
    for (const path of ["/throw", "/reject", "/bad-return"]) {
      const res = await fetch(`${base}${path}`, { headers: { "x-tenant": "acme" } });
      expect(res.status, path).toBe(500);
      expect(res.headers.get("x-switchyard-response-flags"), path).toBe("FE");
      expect((await entryFor(path)).responseFlags).toBe("FE");
    }
    expect(up.seen.length).toBe(before);
    expect(await metricsText()).toContain('switchyard_filter_errors_total{filter="faulty"} 3');
    expect((await fetch(`${base}/orders`, { headers: { "x-tenant": "acme" } })).status).toBe(200);
  });

  it("a hanging request phase is cut at the entry's timeoutMs: 500 FE, the upstream never called", async () => {
    const before = up.seen.length;
    const t0 = performance.now();
    const res = await fetch(`${base}/hang`, { headers: { "x-tenant": "acme" } });
    const ms = performance.now() - t0;
    expect(res.status).toBe(500);
    expect(res.headers.get("x-switchyard-response-flags")).toBe("FE");
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(10_000);
    expect(up.seen.length).toBe(before);
    expect(proxy.logs.some((l) => l.event === "filter_failed" && String((l.fields.error as Error).message).includes("did not finish within 300 ms"))).toBe(true);
  });

  it("a hanging response phase: the upstream answered, the client gets 500 FE instead of waiting forever", async () => {
    const res = await fetch(`${base}/hang-response`, { headers: { "x-tenant": "acme" } });
    expect(res.status).toBe(500);
    expect(res.headers.get("x-switchyard-response-flags")).toBe("FE");
    expect((await fetch(`${base}/orders`, { headers: { "x-tenant": "acme" } })).status).toBe(200);
  });

  it("a rejecting onDone is counted and logged; the answer was already sent", async () => {
    const res = await fetch(`${base}/done-rejects`, { headers: { "x-tenant": "acme" } });
    expect(res.status).toBe(200);
    for (let i = 0; i < 100 && !proxy.logs.some((l) => l.event === "filter_failed" && l.fields.phase === "onDone"); i++) await sleep(10);
    expect(proxy.logs.some((l) => l.event === "filter_failed" && l.fields.phase === "onDone" && l.fields.filter === "faulty")).toBe(true);
  });
});

describe("TypeScript plugins: refused versions", () => {
  it("a config the plugin's zod schema refuses: the version is refused with the plugin's message and path, the running one keeps serving", async () => {
    const r = await proxy.apply(config({ config: { tenants: {} } }));
    expect(r.ok).toBe(false);
    expect(r.issues).toContainEqual({ path: "listeners[0].httpFilters[0].config.tenants", message: 'plugin "tenant": list at least one tenant' });
    expect((await fetch(`${base}/orders`, { headers: { "x-tenant": "acme" } })).status).toBe(200);
  });

  it("a JSON Schema refusal, a bad override config, a version pin, a throwing create() and a missing module each name their path", async () => {
    const json = await proxy.apply({ ...config(), listeners: [{ ...config().listeners[0], httpFilters: [{ type: "plugin", name: "faulty", module: FAULTY, config: { mode: "explode" } }] }], routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "all", match: { prefix: "/" }, route: { cluster: "app" } }] }] }] });
    expect(json.ok).toBe(false);
    expect(JSON.stringify(json.issues)).toContain('"path":"listeners[0].httpFilters[0].config.mode"');

    const c = config();
    (c.routeConfigs[0]!.virtualHosts[0]!.routes[1] as { filterOverrides: unknown }).filterOverrides = { tenant: { config: { tenants: { x: "gold" } } } };
    const override = await proxy.apply(c);
    expect(override.ok).toBe(false);
    expect(JSON.stringify(override.issues)).toContain('"path":"routeConfigs[0].virtualHosts[0].routes[1].filterOverrides.tenant.config.tenants.x"');

    const pinned = await proxy.apply(config({ version: "2.0.0" }));
    expect(pinned.issues).toContainEqual({ path: "listeners[0].httpFilters[0].version", message: expect.stringContaining("is version 1.0.0, the config needs 2.0.0") });

    const create = await proxy.apply(config({ module: BAD_CREATE, config: {} }));
    expect(create.issues).toContainEqual({ path: "listeners[0].httpFilters[0]", message: 'plugin "bad-create" create() failed: cannot reach the tenant directory' });

    const missing = await proxy.apply(config({ module: "/nonexistent/plugin.mjs" }));
    // Once, at the listener entry: not again for the route that overrides its config.
    expect(missing.issues).toEqual([{ path: "listeners[0].httpFilters[0].module", message: expect.stringContaining('cannot load plugin module "/nonexistent/plugin.mjs"') }]);

    const relative = await proxy.apply(config({ module: "./plugin.mjs" }));
    expect(JSON.stringify(relative.issues)).toContain("listeners[0].httpFilters[0].module");

    expect((await fetch(`${base}/orders`, { headers: { "x-tenant": "acme" } })).status).toBe(200);
  });

  it("a new version re-creates the instances with the new config", async () => {
    const r = await proxy.apply(config({ config: { tenants: { gamma: "pro" } } }));
    expect(r.ok).toBe(true);
    expect((await fetch(`${base}/orders`, { headers: { "x-tenant": "gamma" } })).status).toBe(200);
    expect((await fetch(`${base}/orders`, { headers: { "x-tenant": "acme" } })).status).toBe(403);
    expect((await proxy.apply(config())).ok).toBe(true);
  });
});
