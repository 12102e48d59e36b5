import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { startInProcessProxy, type TInProcessProxy } from "../helpers/in-process-proxy.ts";

/**
 * A new version of a big route table through the real apply pipeline: only the routes
 * that changed are validated and compiled (config_applied says how many), the version
 * serves at once, and a version whose changed route is bad is refused with that route's
 * path while the applied one keeps serving.
 */

const ROUTES = 300;
let port: number;
let proxy: TInProcessProxy;

/** Route i answers "<tag>-<i>" on /r<i>/ (a regex route for odd i), plus `edit` on the list. */
function config(tag: string, edit: (routes: Record<string, unknown>[]) => void = () => undefined): unknown {
  const routes: Record<string, unknown>[] = Array.from({ length: ROUTES }, (_, i) => ({
    name: `r${i}`,
    match: i % 2 === 0 ? { prefix: `/r${i}/` } : { regex: `/r${i}/[a-z]+` },
    directResponse: { status: 200, body: `${tag}-${i}` },
  }));
  edit(routes);
  return {
    listeners: [{ name: "public", address: "127.0.0.1", port, routeConfig: "main" }],
    routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes }] }],
  };
}

const body = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).text();
const applied = () => proxy.logs.filter((l) => l.event === "config_applied").at(-1)?.fields;

beforeAll(async () => {
  port = await freePort();
  proxy = await startInProcessProxy(config("v1"));
}, 30_000);

afterAll(async () => {
  await proxy?.stop();
});

describe("applying a changed big route table", () => {
  it("validates and compiles every route of the first version", () => {
    // 1 listener + 1 route config shell + the routes.
    expect(applied()).toMatchObject({ resources: { validated: ROUTES + 2, unchanged: 0 }, routes: { compiled: ROUTES, reused: 0 } });
  });

  it("validates and compiles only the changed route, and serves the new version", async () => {
    const result = await proxy.apply(config("v1", (routes) => (routes[150] = { name: "r150", match: { prefix: "/r150/" }, directResponse: { status: 200, body: "v2-150" } })));
    expect(result.ok).toBe(true);
    expect(applied()).toMatchObject({ resources: { validated: 1, unchanged: ROUTES + 1 }, routes: { compiled: 1, reused: ROUTES - 1 } });
    expect(await body("/r150/")).toBe("v2-150");
    expect(await body("/r10/")).toBe("v1-10");
    expect(await body("/r11/abc")).toBe("v1-11");
  });

  it("refuses a bad changed route with its full path and keeps serving the applied version", async () => {
    const result = await proxy.apply(
      config("v1", (routes) => {
        routes[150] = { name: "r150", match: { prefix: "/r150/" }, directResponse: { status: 200, body: "v2-150" } };
        routes[287] = { name: "r287", match: { path: "no-slash" }, directResponse: { status: 200 } };
      }),
    );
    expect(result).toMatchObject({ ok: false, issues: [{ path: "routeConfigs[0].virtualHosts[0].routes[287].match.path" }] });
    expect(await body("/r150/")).toBe("v2-150");
    expect(await body("/r287/x")).toBe("v1-287");
  });

  it("takes every route changed at once", async () => {
    const result = await proxy.apply(config("v3"));
    expect(result.ok).toBe(true);
    expect(applied()).toMatchObject({ resources: { validated: ROUTES, unchanged: 2 }, routes: { compiled: ROUTES, reused: 0 } });
    expect(await body("/r150/")).toBe("v3-150");
    expect(await body("/r11/abc")).toBe("v3-11");
  });
});
