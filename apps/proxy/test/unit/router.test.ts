import { describe, expect, it } from "vitest";
import { parseConfig, type TRouteConfig } from "@switchyard/config-model";
import { makeConfig, makeRoute, makeRouteConfig, makeVirtualHost } from "@switchyard/config-model/testing";
import {
  compileRouteTable,
  findVirtualHost,
  normaliseHost,
  pickTarget,
  redirectLocation,
  rewritePath,
  routeRequest,
  type TCompiledForwardAction,
  type TCompiledRedirectAction,
  type TRouteRequest,
} from "../../src/router/index.ts";

/** Validates through config-model (defaults filled) and compiles with cluster names bound to themselves. */
function table(routeConfig: ReturnType<typeof makeRouteConfig>, clusters = ["backend", "a", "b"]) {
  const config = parseConfig(
    makeConfig({ routeConfigs: [routeConfig], clusters: clusters.map((name) => ({ name, endpoints: [{ address: "127.0.0.1", port: 9000 }] })) }),
  );
  return compileRouteTable(config.routeConfigs[0] as TRouteConfig, (name) => name);
}

function req(over: Partial<TRouteRequest> = {}): TRouteRequest {
  return { method: "GET", host: "example.com", path: "/", query: "", headers: {}, ...over };
}

describe("virtual host selection", () => {
  const t = table(
    makeRouteConfig({
      virtualHosts: [
        makeVirtualHost({ name: "star", domains: ["*"] }),
        makeVirtualHost({ name: "prefix-short", domains: ["api*"] }),
        makeVirtualHost({ name: "prefix-long", domains: ["api.example.*"] }),
        makeVirtualHost({ name: "suffix-short", domains: ["*.com"] }),
        makeVirtualHost({ name: "suffix-long", domains: ["*.example.com"] }),
        makeVirtualHost({ name: "exact", domains: ["api.example.com", "Other.Test"] }),
      ],
    }),
  );
  const pick = (host: string) => findVirtualHost(t, host)?.name;

  it("prefers exact, then the longest suffix, then the longest prefix, then *", () => {
    expect(pick("api.example.com")).toBe("exact");
    expect(pick("www.example.com")).toBe("suffix-long");
    expect(pick("www.other.com")).toBe("suffix-short");
    // A suffix wildcard beats a prefix wildcard even when the prefix is longer.
    expect(pick("api.example.com.com")).toBe("suffix-short");
    expect(pick("api.example.org")).toBe("prefix-long");
    expect(pick("apix.org")).toBe("prefix-short");
    expect(pick("nothing.org")).toBe("star");
  });

  it("strips the port and compares case-insensitively", () => {
    expect(pick("API.Example.COM:8080")).toBe("exact");
    expect(pick("other.test")).toBe("exact");
    expect(normaliseHost("[::1]:8080")).toBe("[::1]");
    expect(normaliseHost("[::1]")).toBe("[::1]");
  });

  it("needs the wildcard to stand for at least one character", () => {
    expect(pick("example.com")).toBe("suffix-short"); // "*.example.com" does not match the bare domain
  });

  it("gives null without a * virtual host", () => {
    const t2 = table(makeRouteConfig({ virtualHosts: [makeVirtualHost({ domains: ["only.test"] })] }));
    expect(findVirtualHost(t2, "else.test")).toBeNull();
    expect(routeRequest(t2, req({ host: "else.test" }))).toEqual({ vhost: null, route: null });
  });
});

describe("route matching", () => {
  const routes = [
    makeRoute({ name: "exact", match: { path: "/exact" } }),
    makeRoute({ name: "exact-ci", match: { path: "/CI", caseSensitive: false } }),
    makeRoute({ name: "regex", match: { regex: "/items/[0-9]+" } }),
    makeRoute({ name: "methods", match: { prefix: "/m", methods: ["POST", "PUT"] } }),
    makeRoute({ name: "hdr-exact", match: { prefix: "/h", headers: [{ name: "X-Canary", exact: "1" }] } }),
    makeRoute({ name: "hdr-prefix", match: { prefix: "/h", headers: [{ name: "x-ver", prefix: "v2" }] } }),
    makeRoute({ name: "hdr-regex", match: { prefix: "/h", headers: [{ name: "x-ver", regex: "v[0-9]" }] } }),
    makeRoute({ name: "hdr-absent", match: { prefix: "/h", headers: [{ name: "x-ver", present: false }] } }),
    makeRoute({ name: "hdr-inverted", match: { prefix: "/h", headers: [{ name: "x-ver", exact: "skip", invert: true }] } }),
    makeRoute({ name: "q-present", match: { prefix: "/q", query: [{ name: "debug", present: true }] } }),
    makeRoute({ name: "q-exact", match: { prefix: "/q", query: [{ name: "v", exact: "a b" }] } }),
    makeRoute({ name: "prefix-ci", match: { prefix: "/Upper", caseSensitive: false } }),
    makeRoute({ name: "users", match: { prefix: "/users" } }),
    makeRoute({ name: "users-shadowed", match: { prefix: "/users/special" } }),
    makeRoute({ name: "catch-all", match: { prefix: "/" } }),
  ];
  const t = table(makeRouteConfig({ virtualHosts: [makeVirtualHost({ routes })] }));
  const name = (over: Partial<TRouteRequest>) => routeRequest(t, req(over)).route?.name;

  it("matches exact paths (query excluded) and respects caseSensitive", () => {
    expect(name({ path: "/exact" })).toBe("exact");
    expect(name({ path: "/exact/" })).toBe("catch-all");
    expect(name({ path: "/EXACT" })).toBe("catch-all");
    expect(name({ path: "/ci" })).toBe("exact-ci");
  });

  it("anchors regexes to the whole path", () => {
    expect(name({ path: "/items/42" })).toBe("regex");
    expect(name({ path: "/items/42/x" })).toBe("catch-all");
    expect(name({ path: "/x/items/42" })).toBe("catch-all");
  });

  it("filters on methods", () => {
    expect(name({ path: "/m", method: "PUT" })).toBe("methods");
    expect(name({ path: "/m", method: "GET" })).toBe("catch-all");
  });

  it("matches headers by exact, prefix, regex, absence and inversion", () => {
    expect(name({ path: "/h", headers: { "x-canary": "1" } })).toBe("hdr-exact");
    expect(name({ path: "/h", headers: { "x-ver": "v2.1" } })).toBe("hdr-prefix");
    expect(name({ path: "/h", headers: { "x-ver": "v3" } })).toBe("hdr-regex");
    expect(name({ path: "/h", headers: {} })).toBe("hdr-absent");
    expect(name({ path: "/h", headers: { "x-ver": "other" } })).toBe("hdr-inverted");
    expect(name({ path: "/h", headers: { "x-ver": "skip" } })).toBe("catch-all");
  });

  it("matches query parameters, decoded", () => {
    expect(name({ path: "/q", query: "debug" })).toBe("q-present");
    expect(name({ path: "/q", query: "v=a+b" })).toBe("q-exact");
    expect(name({ path: "/q", query: "v=c" })).toBe("catch-all");
  });

  it("matches prefixes case-insensitively when asked", () => {
    expect(name({ path: "/upper/x" })).toBe("prefix-ci");
  });

  it("takes the first match, even when a later route is more specific", () => {
    expect(name({ path: "/users/special/1" })).toBe("users");
    expect(name({ path: "/usersx" })).toBe("users"); // Envoy prefix semantics
    expect(name({ path: "/other" })).toBe("catch-all");
  });

  it("gives route null when nothing matches", () => {
    const t2 = table(makeRouteConfig({ virtualHosts: [makeVirtualHost({ routes: [makeRoute({ match: { path: "/only" } })] })] }));
    const r = routeRequest(t2, req({ path: "/else" }));
    expect(r.vhost?.name).toBe("all");
    expect(r.route).toBeNull();
  });
});

describe("actions", () => {
  it("rewrites the matched prefix, or the whole path for exact and regex routes", () => {
    const t = table(
      makeRouteConfig({
        virtualHosts: [
          makeVirtualHost({
            routes: [
              makeRoute({ name: "p", match: { prefix: "/api" } }),
              makeRoute({ name: "e", match: { path: "/exact" } }),
            ],
          }),
        ],
      }),
    );
    const p = routeRequest(t, req({ path: "/api/users" })).route!;
    expect(rewritePath(p, "/", "/api/users", "a=1")).toBe("/users?a=1");
    expect(rewritePath(p, "/v2", "/api/users", "")).toBe("/v2/users");
    const e = routeRequest(t, req({ path: "/exact" })).route!;
    expect(rewritePath(e, "/new", "/exact", "")).toBe("/new");
  });

  it("builds redirect locations", () => {
    const t = table(
      makeRouteConfig({
        virtualHosts: [
          makeVirtualHost({
            routes: [
              makeRoute({ name: "https", match: { prefix: "/s" }, route: undefined, redirect: { httpsRedirect: true } }),
              makeRoute({ name: "host", match: { prefix: "/h" }, route: undefined, redirect: { hostRedirect: "other.test", portRedirect: 8443, stripQuery: true } }),
              makeRoute({ name: "prefix", match: { prefix: "/old" }, route: undefined, redirect: { prefixRewrite: "/new" } }),
              makeRoute({ name: "path", match: { prefix: "/p" }, route: undefined, redirect: { pathRedirect: "/landing?from=p", responseCode: 307 } }),
            ],
          }),
        ],
      }),
    );
    const loc = (path: string, query = "", host = "example.com:8080") => {
      const r = routeRequest(t, req({ path, query })).route!;
      return redirectLocation(r, r.action as TCompiledRedirectAction, { scheme: "http", host, path, query });
    };
    expect(loc("/s/x", "a=1")).toBe("https://example.com/s/x?a=1");
    expect(loc("/h/x", "a=1")).toBe("http://other.test:8443/h/x");
    expect(loc("/old/page", "", "example.com")).toBe("http://example.com/new/page");
    expect(loc("/p", "a=1", "example.com:8080")).toBe("http://example.com:8080/landing?from=p");
    const p = routeRequest(t, req({ path: "/p" })).route!;
    expect((p.action as TCompiledRedirectAction).responseCode).toBe(307);
  });

  it("splits weighted clusters by weight and skips weight 0", () => {
    const t = table(
      makeRouteConfig({
        virtualHosts: [
          makeVirtualHost({
            routes: [
              makeRoute({
                route: {
                  weightedClusters: [
                    { cluster: "a", weight: 3 },
                    { cluster: "b", weight: 1 },
                    { cluster: "backend", weight: 0 },
                  ],
                },
              }),
            ],
          }),
        ],
      }),
    );
    const action = routeRequest(t, req()).route!.action as TCompiledForwardAction<string>;
    expect(action.targets.map((x) => x.name)).toEqual(["a", "b"]);
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 20_000; i++) counts[pickTarget(action)!.name]!++;
    expect(counts.a! / 20_000).toBeGreaterThan(0.72);
    expect(counts.a! / 20_000).toBeLessThan(0.78);
  });

  it("compiles header mutations route first, then virtual host", () => {
    const t = table(
      makeRouteConfig({
        virtualHosts: [
          makeVirtualHost({
            requestHeaders: { add: [{ name: "X-Level", value: "vhost" }], remove: [] },
            routes: [makeRoute({ requestHeaders: { add: [{ name: "x-level", value: "route" }], remove: ["X-Debug"] } })],
          }),
        ],
      }),
    );
    const r = routeRequest(t, req()).route!;
    expect(r.requestHeaders).toHaveLength(2);
    expect(r.requestHeaders[0]!.remove.has("x-debug")).toBe(true);
    expect(r.requestHeaders[1]!.add[0]).toEqual({ name: "x-level", value: "vhost", append: false });
    expect(Object.isFrozen(r)).toBe(true);
  });
});
