/**
 * The route form's per-filter overrides: the filters it lists come from the listeners
 * serving the route's config, every override survives a round trip (stored -> form ->
 * stored), "inherit" drops the entry, and a replacement that does not parse is refused
 * at the filter's path before anything is saved.
 */
import { checkFilterOverrides, ZConfig, ZListener, ZRoute } from "@switchyard/config-model";
import { describe, expect, it } from "vitest";
import { buildOverrides, overridableFilters, overridesFormOf, replacementYaml } from "../src/lib/filter-overrides-form.ts";
import { buildRoute, checkRoute, emptyRouteForm, routeFormOf } from "../src/lib/route-form.ts";

const listeners = [
  ZListener.parse({
    name: "public",
    port: 8080,
    routeConfig: "main",
    httpFilters: [
      { type: "cors", allowOrigins: ["https://app.example"] },
      { type: "fault", name: "chaos", abort: { httpStatus: 503, percentage: 100 } },
      { type: "plugin", name: "tenant", module: "@acme/tenant", config: { header: "x-tenant" } },
    ],
  }),
  ZListener.parse({ name: "internal", port: 8081, routeConfig: "main", httpFilters: [{ type: "cors", allowOrigins: ["*"] }] }),
  ZListener.parse({ name: "other", port: 8082, routeConfig: "admin", httpFilters: [{ type: "rbac", rules: [{ allow: true }] }] }),
];

describe("route form: filter overrides", () => {
  it("lists the filters of the listeners serving the route config, by name, with their listeners", () => {
    const fs = overridableFilters(listeners, "main");
    expect(fs.map((f) => [f.name, f.type, f.listeners])).toEqual([
      ["cors", "cors", ["public", "internal"]],
      ["chaos", "fault", ["public"]],
      ["tenant", "plugin", ["public"]],
    ]);
    // An override naming a filter no such listener has is listed so its issue has a place.
    expect(overridableFilters(listeners, "admin", ["gone"]).map((f) => [f.name, f.type])).toEqual([
      ["rbac", "rbac"],
      ["gone", "?"],
    ]);
  });

  it("starts a replacement from the filter's current config: a built-in's fields, a plugin's config", () => {
    const [cors, , tenant] = overridableFilters(listeners, "main");
    expect(replacementYaml(cors!)).toContain("https://app.example");
    expect(replacementYaml(cors!)).not.toContain("type:");
    expect(replacementYaml(tenant!).trim()).toBe("header: x-tenant");
  });

  it("round-trips disable and replace, and inherit drops the entry", () => {
    const route = ZRoute.parse({
      name: "r",
      match: { prefix: "/" },
      directResponse: { status: 200 },
      filterOverrides: { chaos: { disabled: true }, cors: { config: { allowOrigins: ["https://b.example"], maxAgeSeconds: 5 } } },
    });
    const form = routeFormOf({ routeConfig: "main", virtualHost: "all", domains: ["*"] }, route);
    expect(form.filterOverrides.chaos).toEqual({ mode: "disable", yaml: "" });
    expect(form.filterOverrides.cors?.mode).toBe("replace");
    expect(ZRoute.parse(buildRoute(form))).toEqual(route);
    const { cors: _cors, ...onlyChaos } = form.filterOverrides;
    expect(buildOverrides(onlyChaos)).toEqual({ chaos: { disabled: true } });
    expect(buildOverrides({})).toBeUndefined();
    expect(buildRoute({ ...form, filterOverrides: {} }).filterOverrides).toBeUndefined();
    expect(overridesFormOf(undefined)).toEqual({});
  });

  it("refuses a replacement whose YAML does not parse, at the filter's path", () => {
    const form = { ...emptyRouteForm({ cluster: "a" }), name: "n", filterOverrides: { cors: { mode: "replace" as const, yaml: "allowOrigins: [unclosed" } } };
    const issues = checkRoute(buildRoute(form));
    expect(issues.map((i) => i.field)).toContain("filterOverrides.cors");
  });

  it("a replacement the filter's schema refuses is reported under filterOverrides.<name>.config.<field>", () => {
    const route = buildRoute({ ...emptyRouteForm({ cluster: "a" }), name: "n", filterOverrides: { cors: { mode: "replace", yaml: "allowOrigins: 5" } } });
    const config = ZConfig.parse({ listeners: listeners.slice(0, 2), clusters: [{ name: "a", endpoints: [{ address: "127.0.0.1", port: 1 }] }], routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [route] }] }] });
    const paths = checkFilterOverrides(config).map((i) => i.path);
    expect(paths).toEqual([expect.stringMatching(/^routeConfigs\[0\]\.virtualHosts\[0\]\.routes\[0\]\.filterOverrides\.cors\.config\.allowOrigins/)]);
  });
});
