import { describe, expect, it } from "vitest";
import { issueClaimer, relativePath, scopeIssues } from "../src/lib/issues.ts";

describe("relativePath", () => {
  it("strips a prefix at a property or index boundary only", () => {
    expect(relativePath("clusters[2].endpoints[0].port", "clusters[2]")).toBe("endpoints[0].port");
    expect(relativePath("clusters[2]", "clusters[2]")).toBe("");
    expect(relativePath("clusters[2].endpoints[1]", "clusters[2].endpoints")).toBe("[1]");
    expect(relativePath("clusters[20].name", "clusters[2]")).toBeUndefined();
    expect(relativePath("routeConfigs[0].virtualHosts[1].domainsX", "routeConfigs[0].virtualHosts[1].domains")).toBeUndefined();
  });
});

describe("scopeIssues", () => {
  const vh = "routeConfigs[0].virtualHosts[1]";
  const scopes = [{ prefix: `${vh}.routes[3]` }, { prefix: `${vh}.domains`, as: "domains" }];

  it("maps issues under the edited route to form fields and renames scoped prefixes", () => {
    const out = scopeIssues(
      [
        { path: `${vh}.routes[3].match.regex`, message: "invalid regex" },
        { path: `${vh}.routes[3]`, message: "exactly one of route | redirect | directResponse is required" },
        { path: `${vh}.domains[0]`, message: "bad domain" },
        { path: `${vh}.routes[0].route.cluster`, message: 'unknown cluster "x"' },
      ],
      scopes,
    );
    expect(out.map((i) => i.field)).toEqual(["match.regex", "", "domains[0]", undefined]);
    expect(out[3]).toEqual({ path: `${vh}.routes[0].route.cluster`, message: 'unknown cluster "x"' });
  });
});

describe("issueClaimer", () => {
  it("hands each issue to one field and leaves the rest for the banner", () => {
    const issues = [
      { path: "p1", message: "on the object", field: "match" },
      { path: "p2", message: "bad prefix", field: "match.prefix" },
      { path: "p3", message: "bad header", field: "match.headers[0].regex" },
      { path: "p4", message: "elsewhere" },
    ];
    const c = issueClaimer(issues);
    expect(c.exact("match")).toEqual(["on the object"]);
    expect(c.at("match.prefix")).toEqual(["bad prefix"]);
    expect(c.at("match.prefix")).toEqual([]);
    expect(c.rest().map((i) => i.message)).toEqual(["bad header", "elsewhere"]);
  });
});
