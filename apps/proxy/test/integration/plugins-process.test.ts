import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { hashConfig } from "@switchyard/config-model";
import { freePort } from "../helpers/free-port.ts";
import { PROXY_BIN, startProxy } from "../helpers/start-proxy.ts";
import { startUpstream, type TEcho, type TUpstream } from "../helpers/start-upstream.ts";

/**
 * Plugins through the real CLI (issue #14 item 3): `plugin new` writes a package whose own
 * test passes and which a proxy process loads and runs; a standalone proxy refuses a file
 * with a bad plugin config (the running config stays); a managed proxy announces its
 * --plugin modules in hello (name, version, JSON Schema) and NACKs a snapshot whose plugin
 * config is bad, or whose module it was not started with, with the path.
 */
const run = promisify(execFile);
const TENANT = fileURLToPath(new URL("../../../../examples/plugins/tenant/index.ts", import.meta.url));
let up: TUpstream;
let dir: string;

beforeAll(async () => {
  up = await startUpstream("app");
  dir = await mkdtemp(join(tmpdir(), "switchyard-plugins-"));
});
afterAll(async () => {
  await up?.close();
  await rm(dir, { recursive: true, force: true });
});

function config(port: number, filter: Record<string, unknown>) {
  return {
    listeners: [{ name: "web", address: "127.0.0.1", port, routeConfig: "main", httpFilters: [{ type: "plugin", ...filter }] }],
    routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "all", match: { prefix: "/" }, route: { cluster: "app" } }] }] }],
    clusters: [{ name: "app", endpoints: [{ address: "127.0.0.1", port: up.port }] }],
  };
}

describe("plugin new", () => {
  it("writes a plugin package whose own test passes, and a proxy loads and runs it", async () => {
    const target = join(dir, "stamp");
    const out = await run(process.execPath, [PROXY_BIN, "plugin", "new", "stamp", "--dir", target]);
    expect(out.stdout).toContain('wrote plugin "stamp"');
    expect((await readdir(target)).sort()).toEqual(["README.md", "index.test.ts", "index.ts", "package.json", "types.ts"]);
    // The skeleton's own test, with Node's runner as `npm test` runs it (no vitest, no tsx).
    const env = { ...process.env, NODE_OPTIONS: "" };
    const tested = await run(process.execPath, ["--test", "index.test.ts"], { cwd: target, env });
    expect(tested.stdout).toMatch(/pass 2\n/);
    expect(tested.stdout).toMatch(/fail 0\n/);
    // Refuses to overwrite.
    await expect(run(process.execPath, [PROXY_BIN, "plugin", "new", "stamp", "--dir", target])).rejects.toMatchObject({ code: 1 });

    const port = await freePort();
    const proxy = await startProxy({ config: config(port, { name: "stamp", module: join(target, "index.ts"), config: { value: "hello" } }) });
    try {
      const res = await fetch(`http://127.0.0.1:${port}/x`);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-stamp")).toBe("hello");
      expect((await fetch(`http://127.0.0.1:${port}/x`, { headers: { "x-stamp-deny": "1" } })).status).toBe(403);
      const stats = await (await proxy.admin("/stats/prometheus")).text();
      expect(stats).toMatch(/switchyard_plugin_counter_total\{filter="stamp",counter="stamped"\} [1-9]/);

      // Standalone: a file whose plugin config the schema refuses is not applied; the running one stays.
      await proxy.writeConfig(config(port, { name: "stamp", module: join(target, "index.ts"), config: { value: "" } }));
      const refused = await proxy.waitForEvent((e) => e.event === "config_rejected", 30_000);
      expect(JSON.stringify(refused.issues)).toContain('"path":"listeners[0].httpFilters[0].config.value"');
      expect((await fetch(`http://127.0.0.1:${port}/x`)).headers.get("x-stamp")).toBe("hello");
    } finally {
      await proxy.stop();
    }
  }, 180_000);
});

describe("--workers 2", () => {
  it("workers load the plugin and serve it; a version its schema refuses is refused and the running one stays", async () => {
    const port = await freePort();
    const good = config(port, { name: "tenant", module: TENANT, config: { tenants: { acme: "pro" } } });
    const proxy = await startProxy({ config: good, args: ["--workers", "2"], readyTimeoutMs: 60_000 });
    try {
      // Several connections: the primary deals them out to both workers.
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => fetch(`http://127.0.0.1:${port}/w`, { headers: { "x-tenant": "acme", connection: "close" } }).then((r) => r.headers.get("x-tenant"))),
      );
      expect(answers).toEqual(Array(8).fill("acme; plan=pro"));
      await proxy.writeConfig(config(port, { name: "tenant", module: TENANT, config: { tenants: { acme: "gold" } } }));
      const refused = await proxy.waitForEvent((e) => e.event === "config_rejected", 60_000);
      expect(JSON.stringify(refused)).toContain("listeners[0].httpFilters[0].config.tenants.acme");
      expect((await fetch(`http://127.0.0.1:${port}/w`, { headers: { "x-tenant": "acme" } })).headers.get("x-tenant")).toBe("acme; plan=pro");
    } finally {
      await proxy.stop();
    }
  }, 180_000);
});

describe("managed mode", () => {
  it("announces --plugin modules in hello, NACKs a bad plugin config and a module it was not started with, ACKs a good one", async () => {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/api/xds" });
    await new Promise<void>((r) => wss.once("listening", r));
    const frames: Record<string, unknown>[] = [];
    let socket: WebSocket | null = null;
    wss.on("connection", (ws) => {
      socket = ws;
      ws.on("message", (d) => frames.push(JSON.parse(String(d)) as Record<string, unknown>));
    });
    const next = async (type: string, after = 0) => {
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
        const f = frames.slice(after).find((x) => x.type === type);
        if (f) return f;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no ${type} frame; got ${JSON.stringify(frames)}`);
    };
    const send = (version: number, c: unknown) => (socket as WebSocket | null)?.send(JSON.stringify({ type: "snapshot", version, hash: hashConfig(c), config: c }));
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/api/xds`;
    const port = await freePort();
    const proxy = await startProxy({
      args: ["--control-plane", url, "--node-id", "plug-1", "--plugin", TENANT, "--cache-dir", join(dir, "cache")],
      waitReady: false,
    });
    try {
      const hello = await next("hello");
      const plugins = (hello.capabilities as { plugins: { module: string; name: string; version: string; configSchema: Record<string, unknown> }[] }).plugins;
      expect(plugins).toHaveLength(1);
      expect(plugins[0]).toMatchObject({ module: TENANT, name: "tenant", version: "1.0.0" });
      // The zod schema, converted to JSON Schema for the console's form.
      expect(plugins[0]?.configSchema).toMatchObject({ type: "object", required: ["tenants"], properties: { header: { type: "string", default: "x-tenant" } } });

      send(1, config(port, { name: "tenant", module: TENANT, config: { tenants: {} } }));
      expect(await next("nack")).toMatchObject({ version: 1, issues: [{ path: "listeners[0].httpFilters[0].config.tenants", message: 'plugin "tenant": list at least one tenant' }] });

      const other = fileURLToPath(new URL("../fixtures/plugins/faulty.mjs", import.meta.url));
      const seen = frames.length;
      send(2, config(port, { name: "faulty", module: other }));
      const nack = await next("nack", seen);
      expect(nack).toMatchObject({ version: 2, issues: [{ path: "listeners[0].httpFilters[0].module" }] });
      expect(JSON.stringify(nack)).toContain("is not one this proxy was started with (--plugin)");

      send(3, config(port, { name: "tenant", module: TENANT, config: { tenants: { acme: "pro" } } }));
      expect(await next("ack")).toMatchObject({ version: 3 });
      const res = await fetch(`http://127.0.0.1:${port}/x`, { headers: { "x-tenant": "acme" } });
      expect(((await res.json()) as TEcho).headers["x-tenant-id"]).toBe("acme");
    } finally {
      await proxy.stop();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    }
  }, 120_000);
});
