import { parseConfig, type TConfig, type TConfigInput } from "@switchyard/config-model";
import { makeCluster, makeConfig, makeRoute, makeRouteConfig, makeVirtualHost } from "@switchyard/config-model/testing";
import { describe, expect, it } from "vitest";
import { diffValues, movedNames, structuralDiff } from "../src/lib/structural-diff.ts";

const config = (o: Partial<TConfigInput> = {}) => parseConfig(makeConfig(o));
const twoClusters = (usersPort: number) => [makeCluster({ name: "backend" }), makeCluster({ name: "users", endpoints: [{ address: "10.0.0.5", port: usersPort }] }), makeCluster({ name: "orders", endpoints: [{ address: "10.0.0.6", port: 9102 }] })];
const routes = (...names: string[]) => [makeRouteConfig({ virtualHosts: [makeVirtualHost({ routes: names.map((n) => makeRoute({ name: n, match: { prefix: `/${n}` } })) })] })];

describe("structuralDiff", () => {
  it("says nothing changed for equal configs", () => {
    expect(structuralDiff(config(), config())).toEqual({ resources: [], empty: true });
  });

  it("marks a port changed to a value another resource already has (a line diff by set membership missed it)", () => {
    const d = structuralDiff(config({ clusters: twoClusters(9101) }), config({ clusters: twoClusters(9102) }));
    expect(d.resources).toEqual([{ kind: "clusters", name: "users", op: "change", changes: [{ path: "endpoints[0].port", op: "change", before: 9101, after: 9102 }] }]);
  });

  it("lists added and removed resources with their whole value", () => {
    const d = structuralDiff(config(), config({ clusters: [makeCluster(), makeCluster({ name: "extra" })] }));
    expect(d.resources).toHaveLength(1);
    expect(d.resources[0]).toMatchObject({ kind: "clusters", name: "extra", op: "add", changes: [{ path: "", op: "add", after: { name: "extra", endpoints: [{ port: 9000 }] } }] });
    const back = structuralDiff(config({ clusters: [makeCluster(), makeCluster({ name: "extra" })] }), config());
    expect(back.resources[0]).toMatchObject({ name: "extra", op: "remove", changes: [{ op: "remove", before: { name: "extra" } }] });
  });

  it("marks reordered routes as moved, with their old and new position", () => {
    const d = structuralDiff(config({ routeConfigs: routes("users", "orders", "ping") }), config({ routeConfigs: routes("ping", "users", "orders") }));
    expect(d.resources).toEqual([{ kind: "routes", scope: "main/all", name: "ping", op: "change", changes: [], moved: { from: 3, to: 1 } }]);
  });

  it("reports a route's own field changes under the route, not under its route config", () => {
    const before = config({ routeConfigs: routes("users") });
    const after = config({ routeConfigs: [makeRouteConfig({ virtualHosts: [makeVirtualHost({ domains: ["*", "api.example.com"], routes: [makeRoute({ name: "users", match: { prefix: "/u" } })] })] })] });
    const d = structuralDiff(before, after);
    expect(d.resources).toEqual([
      { kind: "routeConfigs", name: "main", op: "change", changes: [{ path: 'virtualHosts["all"].domains', op: "change", before: ["*"], after: ["*", "api.example.com"] }] },
      { kind: "routes", scope: "main/all", name: "users", op: "change", changes: [{ path: "match.prefix", op: "change", before: "/users", after: "/u" }] },
    ]);
  });

  it("lists an added and a removed route, and keeps a new virtual host's routes in its own entry", () => {
    const d = structuralDiff(config({ routeConfigs: routes("a", "b") }), config({ routeConfigs: routes("a", "c") }));
    expect(d.resources.map((r) => `${r.op} ${r.kind} ${r.scope}/${r.name}`)).toEqual(["remove routes main/all/b", "add routes main/all/c"]);
    const more = structuralDiff(
      config({ routeConfigs: routes("a") }),
      config({ routeConfigs: [makeRouteConfig({ virtualHosts: [makeVirtualHost({ routes: [makeRoute({ name: "a", match: { prefix: "/a" } })] }), makeVirtualHost({ name: "api", domains: ["api.example.com"] })] })] }),
    );
    expect(more.resources).toHaveLength(1);
    expect(more.resources[0]!.changes).toMatchObject([{ path: 'virtualHosts["api"]', op: "add", after: { name: "api", routes: [{ name: "default" }] } }]);
  });

  it("never shows a private key, but says it changed", () => {
    // Built past the validator (which wants real PEM): only the diff's handling is tested here.
    const withSecret = (key: string) => ({ ...config(), secrets: [{ name: "site", type: "tlsCertificate", certificate: "CERT", privateKey: key }] }) as TConfig;
    const d = structuralDiff(withSecret("KEY-ONE"), withSecret("KEY-TWO"));
    expect(JSON.stringify(d)).not.toMatch(/KEY-/);
    expect(d.resources[0]!.changes).toEqual([{ path: "privateKey", op: "change", before: "[redacted]", after: "[redacted]" }]);
    expect(JSON.stringify(structuralDiff(config(), withSecret("KEY-NEW")))).not.toMatch(/KEY-/);
  });
});

describe("diffValues", () => {
  it("shows an endpoint inserted in the middle as one insertion, not as changes of those after it", () => {
    const ep = (port: number) => ({ address: "10.0.0.1", port, weight: 1 });
    expect(diffValues({ endpoints: [ep(1), ep(3)] }, { endpoints: [ep(1), ep(2), ep(3)] })).toEqual([{ path: "endpoints[1]", op: "add", after: ep(2) }]);
    expect(diffValues({ endpoints: [ep(1), ep(3)] }, { endpoints: [ep(1)] })).toEqual([{ path: "endpoints[1]", op: "remove", before: ep(3) }]);
  });

  it("shows lists of plain values whole, and added or removed keys with their value", () => {
    expect(diffValues({ methods: ["GET"] }, { methods: ["GET", "POST"], timeoutMs: 5 })).toEqual([
      { path: "methods", op: "change", before: ["GET"], after: ["GET", "POST"] },
      { path: "timeoutMs", op: "add", after: 5 },
    ]);
    expect(diffValues({ a: { b: 1 } }, {})).toEqual([{ path: "a", op: "remove", before: { b: 1 } }]);
  });

  it("matches named list items by name and notes a new order", () => {
    const f = (name: string, x = 1) => ({ name, type: "plugin", x });
    expect(diffValues({ httpFilters: [f("a"), f("b")] }, { httpFilters: [f("b"), f("a", 2)] })).toEqual([
      { path: 'httpFilters["a"].x', op: "change", before: 1, after: 2 },
      { path: "httpFilters", op: "change", before: ["a", "b"], after: ["b", "a"] },
    ]);
  });

  it("stops at a bound and says how many more", () => {
    const big = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i]));
    const out = diffValues({}, big);
    expect(out).toHaveLength(201);
    expect(out.at(-1)!.path).toBe("(more changes not shown)");
  });
});

describe("movedNames", () => {
  it("names the fewest items whose move explains the new order", () => {
    expect([...movedNames(["a", "b", "c"], ["a", "b", "c"])]).toEqual([]);
    expect([...movedNames(["a", "b", "c"], ["c", "a", "b"])]).toEqual(["c"]);
    expect([...movedNames(["a", "b", "c", "d"], ["a", "x", "b", "d"])]).toEqual([]);
    expect(movedNames(["a", "b"], ["b", "a"]).size).toBe(1);
  });
});
