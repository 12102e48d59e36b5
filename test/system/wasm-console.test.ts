import { createSession, createUser } from "@switchyard/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../apps/proxy/test/helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../../apps/proxy/test/helpers/start-proxy.ts";
import { startUpstream, type TEcho, type TUpstream } from "../../apps/proxy/test/helpers/start-upstream.ts";
import { compileWat, testFilterWat, wasmSecret } from "../../apps/proxy/test/helpers/wasm-modules.ts";
import { startConsoleCore, type TConsoleCore } from "../hardening/helpers/console-core.ts";

/**
 * A proxy-wasm module shipped through the console (issue #14 item 5): uploaded as a
 * wasmModule secret the way the secrets page saves it (tRPC resources.create), never sent
 * back ("[redacted]", and a config PUT carrying "[redacted]" keeps it), published, and run
 * by a real proxy process in managed mode in front of a real upstream.
 */
let core: TConsoleCore;
let up: TUpstream;
let proxy: TProxyProcess | undefined;

beforeAll(async () => {
  [core, up] = await Promise.all([startConsoleCore(), startUpstream("app")]);
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await up?.close();
  await core?.close();
});

describe("a wasm module through the console", () => {
  it("uploaded, kept out of reads, published and run by a managed proxy", async () => {
    const editor = await createUser(core.database.db, { email: `editor-${Date.now().toString(36)}@switchyard.test`, password: "editor-password-1", role: "editor", actor: "test" });
    const session = { session: (await createSession(core.database.db, editor.id)).token };
    const secret = wasmSecret("geo-filter", await compileWat(testFilterWat()));
    const created = await core.trpc("mutation", "resources.create", { kind: "secrets", resource: secret }, session);
    expect(created.status, created.text).toBe(200);

    const got = await core.rest("GET", "/config", { contentType: "application/json" });
    expect(got.status).toBe(200);
    const doc = got.body as Record<string, unknown> & { secrets: Record<string, unknown>[] };
    expect(doc.secrets[0]).toEqual({ ...secret, data: "[redacted]" });
    expect(got.text).not.toContain(secret.data.slice(0, 64));

    // A bad sha256 is refused at the write, with its path.
    const bad = await core.trpc("mutation", "resources.create", { kind: "secrets", resource: { ...secret, name: "bad", sha256: "0".repeat(64) } }, session);
    expect(bad.status).toBe(422);
    expect(bad.text).toContain("sha256");

    const port = await freePort();
    const app = { cluster: "app" };
    const put = await core.rest("PUT", "/config", {
      contentType: "application/json",
      body: JSON.stringify({
        ...doc,
        listeners: [{ name: "web", address: "127.0.0.1", port, routeConfig: "main", httpFilters: [{ type: "wasm", name: "geo", module: { secret: "geo-filter" }, config: "from-console" }] }],
        routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "all", match: { prefix: "/" }, route: app }] }] }],
        clusters: [{ name: "app", endpoints: [{ address: "127.0.0.1", port: up.port }] }],
      }),
    });
    expect(put.status, put.text).toBe(200);
    const published = await core.rest("POST", "/versions", { contentType: "application/json", body: JSON.stringify({ message: "wasm filter" }) });
    expect(published.status, published.text).toBeLessThan(300);

    proxy = await startProxy({ args: ["--control-plane", core.wsUrl, "--node-id", "wasm-1"], readyTimeoutMs: 60_000 });
    const res = await fetch(`http://127.0.0.1:${port}/from-console`, { headers: { "x-copy": "through" } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.endsWith("|wasm")).toBe(true);
    const echo = JSON.parse(text.slice(0, -"|wasm".length)) as TEcho;
    expect(echo.headers["x-wasm-config"]).toBe("from-console");
    expect(echo.headers["x-copied"]).toBe("through");
  }, 120_000);
});
