import { describe, expect, it } from "vitest";
import { parseConfig, type TRouteConfig } from "../src/index.ts";
import { compileRouteTable, explainRequest, matchRoute, findVirtualHost, type TRouteRequest } from "../src/matcher/index.ts";
import { makeConfig, makeRoute, makeRouteConfig, makeVirtualHost } from "../src/testing/fixtures.ts";

function table(routeConfig: ReturnType<typeof makeRouteConfig>) {
  const config = parseConfig(makeConfig({ routeConfigs: [routeConfig] }));
  return compileRouteTable(config.routeConfigs[0] as TRouteConfig, (name) => name);
}
const req = (over: Partial<TRouteRequest> = {}): TRouteRequest => ({ method: "GET", host: "api.example.com", path: "/", query: "", headers: {}, ...over });

const t = table(
  makeRouteConfig({
    virtualHosts: [
      makeVirtualHost({ name: "other", domains: ["other.test"], routes: [makeRoute()] }),
      makeVirtualHost({
        name: "api",
        domains: ["*.example.com"],
        routes: [
          makeRoute({ name: "exact", match: { path: "/healthz" }, directResponse: { status: 200, body: "ok" }, route: undefined }),
          makeRoute({ name: "canary", match: { prefix: "/users", headers: [{ name: "x-canary", exact: "1" }], methods: ["POST"] } }),
          makeRoute({ name: "debug", match: { regex: "/users/[0-9]+", query: [{ name: "debug", present: true }] } }),
          makeRoute({ name: "users", match: { prefix: "/users" } }),
        ],
      }),
    ],
  }),
);

describe("explainRequest", () => {
  it("names the virtual host rule and every earlier route's failed criteria", () => {
    const e = explainRequest(t, req({ host: "API.example.com:8080", path: "/users/42" }));
    expect(e.virtualHost).toEqual({ name: "api", domain: "*.example.com", rule: "suffix" });
    expect(e.route).toBe("users");
    expect(e.routes.map((r) => [r.name, r.matched])).toEqual([
      ["exact", false],
      ["canary", false],
      ["debug", false],
      ["users", true],
    ]);
    expect(e.routes[0]?.reasons).toEqual(['path "/users/42" is not "/healthz"']);
    expect(e.routes[1]?.reasons).toEqual(["method GET is not one of POST", 'header x-canary is absent, must equal "1"']);
    expect(e.routes[2]?.reasons).toEqual(["query parameter debug is absent, must be present"]);
  });

  it("reports no virtual host and no route", () => {
    expect(explainRequest(t, req({ host: "nowhere.test" }))).toEqual({ host: "nowhere.test", virtualHost: null, routes: [], route: null });
    const none = explainRequest(t, req({ path: "/orders" }));
    expect(none.route).toBeNull();
    expect(none.routes).toHaveLength(4);
    expect(none.routes.every((r) => !r.matched && r.reasons.length > 0)).toBe(true);
  });

  it("agrees with the proxy's matchRoute: the matched route is the first with no reasons against it", () => {
    const cases: Partial<TRouteRequest>[] = [
      { path: "/healthz" },
      { path: "/users/1", method: "POST", headers: { "x-canary": "1" } },
      { path: "/users/1", query: "debug=1" },
      { path: "/users/abc", query: "debug" },
      { path: "/Users" },
      { path: "/x" },
    ];
    for (const c of cases) {
      const r = req(c);
      const e = explainRequest(t, r);
      const vhost = findVirtualHost(t, r.host);
      expect(e.route).toBe(vhost ? (matchRoute(vhost, r)?.name ?? null) : null);
      const firstClean = e.routes.find((x) => x.reasons.length === 0);
      expect(firstClean?.name ?? null).toBe(e.route);
    }
  });
});
