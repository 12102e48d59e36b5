import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { startInProcessProxy, type TInProcessProxy } from "../helpers/in-process-proxy.ts";
import { startAuthzService } from "../helpers/start-authz-service.ts";
import { startUpstream, type TEcho, type TUpstream } from "../helpers/start-upstream.ts";

/**
 * extAuthz (issue #14 item 6) against a real authorization service in its own node
 * process (helpers/authz-service.mjs): allow with headers added upstream, deny with the
 * service's status, body and headers (flag UAEX), timeout fail-closed and fail-open, a
 * service that is down, the body sent to the service, and per-route overrides.
 */
let up: TUpstream;
let authz: Awaited<ReturnType<typeof startAuthzService>>;
let proxy: TInProcessProxy;
let base: string;

beforeAll(async () => {
  [up, authz] = await Promise.all([startUpstream("app"), startAuthzService()]);
  const port = await freePort();
  const deadPort = await freePort();
  base = `http://127.0.0.1:${port}`;
  const auth = { url: `${authz.url}/check`, timeoutMs: 500, allowedHeaders: ["x-tenant"], allowedUpstreamHeaders: ["x-user", "x-authz-path", "x-authz-method", "x-authz-host", "x-authz-body", "x-authz-tenant"] };
  const app = { cluster: "app" };
  proxy = await startInProcessProxy({
    listeners: [{ name: "web", address: "127.0.0.1", port, routeConfig: "main", httpFilters: [{ type: "extAuthz", name: "auth", ...auth }] }],
    routeConfigs: [
      {
        name: "main",
        virtualHosts: [
          {
            name: "all",
            domains: ["*"],
            routes: [
              { name: "public", match: { prefix: "/public" }, route: app, filterOverrides: { auth: { disabled: true } } },
              { name: "open", match: { prefix: "/open" }, route: app, filterOverrides: { auth: { config: { ...auth, failOpen: true } } } },
              { name: "down", match: { prefix: "/down" }, route: app, filterOverrides: { auth: { config: { ...auth, url: `http://127.0.0.1:${deadPort}/`, statusOnError: 503 } } } },
              { name: "body", match: { prefix: "/body" }, route: app, filterOverrides: { auth: { config: { ...auth, withRequestBody: { maxRequestBytes: 100 } } } } },
              { name: "picky", match: { prefix: "/picky" }, route: app, filterOverrides: { auth: { config: { ...auth, allowedClientHeaders: ["x-deny-reason"] } } } },
              { name: "plain", match: { prefix: "/" }, route: app },
            ],
          },
        ],
      },
    ],
    clusters: [{ name: "app", endpoints: [{ address: "127.0.0.1", port: up.port }] }],
  });
});

afterAll(async () => {
  await proxy?.stop();
  await up?.close();
  await authz?.stop();
});

const entryFor = async (path: string) => {
  for (let i = 0; i < 200; i++) {
    const e = proxy.accessLog.find((x) => x.path === path);
    if (e) return e;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no access-log entry for ${path}`);
};

describe("extAuthz", () => {
  it("a 2xx answer allows: the service saw method, path + query, host and the allowed headers; only allowedUpstreamHeaders reach the upstream", async () => {
    const res = await fetch(`${base}/orders/7?x=1`, { method: "DELETE", headers: { authorization: "Bearer good", "x-tenant": "acme", "x-other": "no" } });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as TEcho;
    expect(echo.url).toBe("/orders/7?x=1");
    expect(echo.headers["x-user"]).toBe("alice");
    expect(echo.headers["x-internal"]).toBeUndefined();
    expect(echo.headers["x-authz-path"]).toBe("/check/orders/7?x=1");
    expect(echo.headers["x-authz-method"]).toBe("DELETE");
    expect(echo.headers["x-authz-host"]).toBe(`127.0.0.1:${new URL(base).port}`);
    expect(echo.headers["x-authz-tenant"]).toBe("acme");
  });

  it("any other answer denies with the service's status, body and headers, flag UAEX; the upstream is not reached", async () => {
    const before = up.seen.length;
    const res = await fetch(`${base}/orders/8`);
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="test"');
    expect(res.headers.get("x-switchyard-response-flags")).toBe("UAEX");
    expect(await res.json()).toEqual({ error: "denied", path: "/check/orders/8" });
    expect(up.seen.length).toBe(before);
    expect((await entryFor("/orders/8")).responseFlags).toBe("UAEX");
  });

  it("allowedClientHeaders limits what a denial passes back", async () => {
    const res = await fetch(`${base}/picky`);
    expect(res.status).toBe(401);
    expect(res.headers.get("x-deny-reason")).toBe("no-token");
    expect(res.headers.get("www-authenticate")).toBeNull();
  });

  it("a service slower than timeoutMs fails closed (403 UAEX, statusOnError's default) within about the timeout", async () => {
    const t0 = performance.now();
    const res = await fetch(`${base}/slow`, { headers: { authorization: "Bearer good" } });
    expect(res.status).toBe(403);
    expect(res.headers.get("x-switchyard-response-flags")).toBe("UAEX");
    expect(performance.now() - t0).toBeLessThan(2500);
  });

  it("failOpen (route override) lets the request through when the service times out, marking it upstream", async () => {
    const res = await fetch(`${base}/open/slow`, { headers: { authorization: "Bearer good" } });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as TEcho;
    expect(echo.headers["x-auth-failure-mode-allowed"]).toBe("true");
    expect(echo.headers["x-user"]).toBeUndefined();
  });

  it("a service that is down: statusOnError (503 here), flag UAEX", async () => {
    const res = await fetch(`${base}/down`, { headers: { authorization: "Bearer good" } });
    expect(res.status).toBe(503);
    expect(res.headers.get("x-switchyard-response-flags")).toBe("UAEX");
  });

  it("withRequestBody sends the body: the service can deny on it; an allowed body reaches the upstream whole with the allowed headers; over the limit = 413", async () => {
    const denied = await fetch(`${base}/body`, { method: "POST", headers: { authorization: "Bearer good" }, body: "this is forbidden" });
    expect(denied.status).toBe(403);
    expect(await denied.text()).toBe("forbidden body\n");
    const allowed = await fetch(`${base}/body`, { method: "POST", headers: { authorization: "Bearer good" }, body: "fine words" });
    expect(allowed.status).toBe(200);
    const echo = (await allowed.json()) as TEcho;
    expect(echo.body).toBe("fine words");
    // The upstream request starts after the answer: the allowed headers reach it, and the service saw the body.
    expect(echo.headers["x-user"]).toBe("alice");
    expect(echo.headers["x-authz-body"]).toBe("10");
    const big = await fetch(`${base}/body`, { method: "POST", headers: { authorization: "Bearer good" }, body: "x".repeat(101) });
    expect(big.status).toBe(413);
    const noBody = await fetch(`${base}/body`);
    expect(noBody.status).toBe(401);
  });

  it("a route may disable the filter", async () => {
    const res = await fetch(`${base}/public`);
    expect(res.status).toBe(200);
  });
});
