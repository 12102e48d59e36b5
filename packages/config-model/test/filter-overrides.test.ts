import { describe, expect, it } from "vitest";
import { validateConfig, type TConfigIssue } from "../src/index.ts";
import { makeConfig, makeListener, makeRoute, makeRouteConfig, makeVirtualHost } from "../src/testing/fixtures.ts";

/** Routes' filterOverrides against the listeners serving them (the console and the proxy run the same check). */
const cors = { type: "cors" as const, allowOrigins: ["https://a.example"] };
function config(httpFilters: unknown[], filterOverrides: unknown) {
  return makeConfig({
    listeners: [makeListener({ httpFilters: httpFilters as never })],
    routeConfigs: [makeRouteConfig({ virtualHosts: [makeVirtualHost({ routes: [makeRoute({ filterOverrides: filterOverrides as never })] })] })],
  });
}
function issues(input: unknown): TConfigIssue[] {
  const r = validateConfig(input);
  return r.ok ? [] : r.issues;
}
const at = "routeConfigs[0].virtualHosts[0].routes[0].filterOverrides";

describe("filterOverrides", () => {
  it("accepts disabling or reconfiguring a filter by its type or its name", () => {
    expect(issues(config([cors], { cors: { disabled: true } }))).toEqual([]);
    expect(issues(config([{ ...cors, name: "edge-cors" }], { "edge-cors": { config: { allowOrigins: ["https://b.example"] } } }))).toEqual([]);
  });

  it("refuses a name no listener of the route config has", () => {
    expect(issues(config([cors], { auth: { disabled: true } }))).toEqual([{ path: `${at}.auth`, message: 'no listener using route config "main" has a filter named "auth"' }]);
  });

  it("refuses a name two filters of one listener share", () => {
    expect(issues(config([cors, { ...cors, allowOrigins: ["*"] }], { cors: { disabled: true } }))[0]?.path).toBe(`${at}.cors`);
  });

  it("checks a replacement config with the filter's own schema, at the override's path", () => {
    expect(issues(config([cors], { cors: { config: { allowOrigins: [] } } }))[0]?.path).toBe(`${at}.cors.config.allowOrigins`);
    expect(issues(config([cors], { cors: { config: { allowOrigins: ["*"], nope: 1 } } }))[0]?.path).toMatch(/^routeConfigs\[0\]\.virtualHosts\[0\]\.routes\[0\]\.filterOverrides\.cors\.config/);
  });

  it("refuses disabled and config together", () => {
    expect(issues(config([cors], { cors: { disabled: true, config: {} } })).length).toBeGreaterThan(0);
  });
});
