/**
 * The admin server beyond loopback (issue #15 item 6), against real proxy processes: bound
 * to 0.0.0.0 without --admin-token its mutating endpoints are refused (a draining switch
 * one request away for the whole network), reads stay open; with a token the mutating
 * endpoints need it, and with --admin-token-reads every endpoint but /ready does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../apps/proxy/test/helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../../apps/proxy/test/helpers/start-proxy.ts";

const TOKEN = "admin-token-for-hardening-tests";
let open: TProxyProcess;
let guarded: TProxyProcess;

beforeAll(async () => {
  const config = async () => ({
    listeners: [{ name: "l", address: "127.0.0.1", port: await freePort(), routeConfig: "r" }],
    routeConfigs: [{ name: "r", virtualHosts: [{ name: "v", domains: ["*"], routes: [{ name: "ok", match: { prefix: "/" }, directResponse: { status: 200, body: "ok" } }] }] }],
  });
  [open, guarded] = await Promise.all([
    startProxy({ config: await config(), adminHost: "0.0.0.0" }),
    startProxy({ config: await config(), adminHost: "0.0.0.0", args: ["--admin-token-reads"], env: { SWITCHYARD_ADMIN_TOKEN: TOKEN } }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([open?.stop(), guarded?.stop()]);
});

const call = (p: TProxyProcess, path: string, method: "GET" | "POST" = "GET", token?: string) =>
  fetch(`${p.adminUrl}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });

describe("admin bound beyond loopback", () => {
  it("without --admin-token: POST endpoints are refused with 403, whatever the client sends; reads are open", async () => {
    for (const token of [undefined, TOKEN]) {
      const res = await call(open, "/healthcheck/fail", "POST", token);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: string }).error).toMatch(/--admin-token/);
    }
    expect((await call(open, "/ready")).status).toBe(200); // still serving: the refused POST changed nothing
    expect((await call(open, "/stats")).status).toBe(200);
    expect(open.events().find((e) => e.event === "admin_up")?.access).toMatch(/POST endpoints refused/);
  });

  it("with --admin-token and --admin-token-reads: 401 without the token, the endpoint with it; /ready stays open", async () => {
    const noToken = await call(guarded, "/healthcheck/fail", "POST");
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await call(guarded, "/healthcheck/fail", "POST", "not-the-token")).status).toBe(401);
    expect((await call(guarded, "/config_dump")).status).toBe(401);
    expect((await call(guarded, "/stats/prometheus", "GET", "wrong")).status).toBe(401);
    expect((await call(guarded, "/stats/prometheus", "GET", TOKEN)).status).toBe(200);
    expect((await call(guarded, "/ready")).status).toBe(200);
    expect((await call(guarded, "/healthcheck/fail", "POST", TOKEN)).status).toBe(200);
    expect((await call(guarded, "/ready")).status).toBe(503);
    expect((await call(guarded, "/healthcheck/ok", "POST", TOKEN)).status).toBe(200);
    expect((await call(guarded, "/ready")).status).toBe(200);
  });

  it("the token never appears in what the admin server shows", async () => {
    for (const path of ["/server_info", "/config_dump"]) {
      expect(await (await call(guarded, path, "GET", TOKEN)).text()).not.toContain(TOKEN);
    }
  });
});
