import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CanonicalMemo, canonicalJson, deepFreeze, hashConfig, parseConfigText, validateConfig, ValidationMemo, ZRoute, type TConfigInput } from "../src/index.ts";
import { compileRouteTable, RouteCompileCache, routeRequest } from "../src/matcher/index.ts";
import { makeCluster, makeConfig, makeRoute, makeRouteConfig, makeVirtualHost } from "../src/testing/fixtures.ts";

/** A config of `n` routes (even: prefix, odd: regex) over two clusters, as plain JSON (what a file or the wire gives). */
function bigConfig(n: number, edit: (routes: Record<string, unknown>[]) => void = () => undefined): TConfigInput {
  const routes: Record<string, unknown>[] = Array.from({ length: n }, (_, i) =>
    makeRoute({ name: `r${i}`, match: i % 2 === 0 ? { prefix: `/svc${i}/` } : { regex: `/re${i}/[a-z]+` }, route: { cluster: i % 3 === 0 ? "b" : "backend" } }),
  );
  edit(routes);
  return JSON.parse(JSON.stringify(makeConfig({ routeConfigs: [makeRouteConfig({ virtualHosts: [makeVirtualHost({ routes: routes as never })] })], clusters: [makeCluster(), makeCluster({ name: "b" })] }))) as TConfigInput;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("ValidationMemo", () => {
  it("validates everything once, then only the resources that changed, with validateConfig's answer", () => {
    const memo = new ValidationMemo();
    const first = memo.validate(bigConfig(200));
    expect(first.ok).toBe(true);
    // 1 listener + 1 route config shell + 200 routes + 2 clusters.
    expect(memo.stats).toEqual({ parsed: 204, reused: 0, regexes: 100 });
    memo.commit();

    const routeSchema = vi.spyOn(ZRoute, "safeParse");
    const edited = bigConfig(200, (routes) => (routes[150] = makeRoute({ name: "r150", match: { path: "/changed" } })));
    const second = memo.validate(edited);
    expect(memo.stats).toEqual({ parsed: 1, reused: 203, regexes: 0 });
    // The spy proves it: one route through ZRoute, the 199 others taken from the memo.
    expect(routeSchema).toHaveBeenCalledTimes(1);
    const whole = validateConfig(edited);
    expect(second.ok && whole.ok).toBe(true);
    if (!second.ok || !whole.ok) return;
    expect(second.config).toEqual(whole.config);
    expect(hashConfig(second.config)).toBe(hashConfig(whole.config));
    // Unchanged routes are the very objects of the first version (what the compile cache keys on).
    if (!first.ok) return;
    expect(second.config.routeConfigs[0]!.virtualHosts[0]!.routes[3]).toBe(first.config.routeConfigs[0]!.virtualHosts[0]!.routes[3]);
    expect(Object.isFrozen(second.config.routeConfigs[0]!.virtualHosts[0]!.routes[150])).toBe(true);
  });

  it("refuses a changed invalid route with its full path, and keeps the applied version's entries", () => {
    const memo = new ValidationMemo();
    expect(memo.validate(bigConfig(100)).ok).toBe(true);
    memo.commit();
    const bad = memo.validate(bigConfig(100, (routes) => (routes[87] = { name: "r87", match: { path: "no-slash" }, route: { cluster: "backend" } })));
    expect(bad).toEqual({ ok: false, issues: [{ path: "routeConfigs[0].virtualHosts[0].routes[87].match.path", message: expect.stringContaining("/") }] });
    expect(memo.stats).toEqual({ parsed: 1, reused: 103, regexes: 0 });
    // A reference problem in a changed route is found by the whole-config checks as before.
    const dangling = memo.validate(bigConfig(100, (routes) => (routes[42] = makeRoute({ name: "r42", route: { cluster: "nope" } }))));
    expect(dangling).toEqual({ ok: false, issues: [{ path: "routeConfigs[0].virtualHosts[0].routes[42].route.cluster", message: 'unknown cluster "nope"' }] });
    // Neither refusal was committed: the applied version still validates from the memo alone.
    expect(memo.validate(bigConfig(100)).ok).toBe(true);
    expect(memo.stats).toEqual({ parsed: 0, reused: 104, regexes: 0 });
  });

  it("drops a removed resource at the next commit, and validates it again when it comes back", () => {
    const memo = new ValidationMemo();
    memo.validate(bigConfig(10));
    memo.commit();
    const full = memo.size;
    memo.validate(bigConfig(10, (routes) => routes.splice(4, 1)));
    memo.commit();
    // One route (a prefix route: no regex entry) fewer.
    expect(memo.size).toBe(full - 1);
    memo.validate(bigConfig(10));
    expect(memo.stats).toMatchObject({ parsed: 1, reused: 13 });
  });

  it("keeps each regex verdict: a new version compiles only its new regexes", () => {
    const memo = new ValidationMemo();
    memo.validate(bigConfig(40));
    expect(memo.stats.regexes).toBe(20);
    memo.commit();
    const next = memo.validate(bigConfig(40, (routes) => (routes[1] = makeRoute({ name: "r1", match: { regex: "/new/[0-9]+" } }))));
    expect(next.ok).toBe(true);
    expect(memo.stats.regexes).toBe(1);
    const unsafe = memo.validate(bigConfig(40, (routes) => (routes[3] = makeRoute({ name: "r3", match: { regex: "(a+)+$" } }))));
    expect(unsafe).toMatchObject({ ok: false, issues: [{ path: "routeConfigs[0].virtualHosts[0].routes[3].match.regex", message: expect.stringContaining("unsafe regex") }] });
    // The refused verdict is kept too: the same bad regex again is not compiled again.
    memo.validate(bigConfig(40, (routes) => (routes[3] = makeRoute({ name: "r3", match: { regex: "(a+)+$" } }))));
    expect(memo.stats.regexes).toBe(0);
  });

  it("answers as validateConfig for inputs that are not the config's shape or not plain JSON", () => {
    const memo = new ValidationMemo();
    for (const input of [null, [], "x", { listeners: {} }, { extra: [] }]) expect(memo.validate(input)).toEqual(validateConfig(input));
    // NaN and an undefined member are never memoised by their JSON text (which would read as null / nothing).
    const nan = makeConfig({ clusters: [makeCluster({ connectTimeoutMs: Number.NaN })] });
    expect(memo.validate(nan)).toEqual(validateConfig(nan));
    expect(memo.validate(nan)).toEqual(validateConfig(nan));
    expect(memo.stats).toMatchObject({ parsed: 1, reused: 3 });
    const undefinedMember = makeConfig({ routeConfigs: [makeRouteConfig({ virtualHosts: [makeVirtualHost({ routes: [{ ...makeRoute(), extra: undefined } as never] })] })] });
    expect(memo.validate(undefinedMember)).toEqual(validateConfig(undefinedMember));
    expect(memo.validate(undefinedMember).ok).toBe(false);
    expect(memo.stats).toMatchObject({ parsed: 1, reused: 3 });
  });
});

describe("CanonicalMemo", () => {
  it("hashes as hashConfig, and a new version's unchanged resources come from the memo", () => {
    const memo = new CanonicalMemo();
    const v1 = new ValidationMemo();
    const first = v1.validate(bigConfig(50));
    v1.commit();
    const second = v1.validate(bigConfig(50, (routes) => (routes[7] = makeRoute({ name: "r7", match: { path: "/x" } }))));
    if (!first.ok || !second.ok) throw new Error("fixtures must validate");
    expect(memo.hash(first.config)).toBe(hashConfig(first.config));
    const canonical = vi.spyOn(JSON, "stringify");
    expect(memo.hash(second.config)).toBe(hashConfig(second.config));
    // The changed route and the outer levels are serialised; not the 49 other routes.
    const routeTexts = canonical.mock.calls.filter(([v]) => v !== null && typeof v === "object" && "match" in (v as object));
    expect(routeTexts).toHaveLength(1);
  });

  it("writes what JSON.stringify(sortKeys(x)) writes for any frozen JSON-like value", () => {
    const memo = new CanonicalMemo();
    const value = fc.oneof(fc.jsonValue(), fc.dictionary(fc.constantFrom("routes", "clusters", "10", "2", "a", "__proto__", "b"), fc.jsonValue()));
    fc.assert(
      fc.property(value, (v) => {
        const frozen = deepFreeze(structuredClone(v));
        expect(memo.hash(frozen)).toBe(hashConfig(frozen));
      }),
    );
    expect(memo.hash(deepFreeze({ routes: [{ b: 1, a: undefined, f: () => 1 }, undefined], "10": 1, "2": 2 }))).toBe(
      hashConfig({ routes: [{ b: 1, a: undefined, f: () => 1 }, undefined], "10": 1, "2": 2 }),
    );
    expect(canonicalJson({ "10": 1, "2": 2, b: 1 })).toBe('{"2":2,"10":1,"b":1}');
  });
});

describe("parseConfigText on JSON documents", () => {
  it("reads JSON as the YAML parser would, duplicate keys included", () => {
    const text = JSON.stringify(bigConfig(30));
    expect(parseConfigText(text)).toEqual({ ok: true, value: JSON.parse(text) });
    // A key twice in one object (also written with an escape) is refused with its line, as before.
    for (const dup of ['{"a": 1, "a": 2}', '{"a": {"x": 1, "\\u0078": 2}}', `{${Array.from({ length: 40 }, (_, i) => `"k${i}": ${i}`).join(",")}, "k7": 0}`]) {
      const parsed = parseConfigText(dup);
      expect(parsed.ok, dup).toBe(false);
      if (!parsed.ok) expect(parsed.issues[0]!.message).toMatch(/^line 1, column \d+: Map keys must be unique/);
    }
    // The same key in sibling objects and arrays of objects is fine.
    expect(parseConfigText('{"a": [{"x": 1, "y": {"x": 2}}, {"x": 3}], "b": {"x": 1}}')).toEqual({ ok: true, value: { a: [{ x: 1, y: { x: 2 } }, { x: 3 }], b: { x: 1 } } });
    expect(parseConfigText('{"__proto__": {"x": 1}}')).toEqual(parseConfigText('{"__proto__": {"x": 1}}\n# yaml'));
  });
});

describe("RouteCompileCache", () => {
  const bind = (clusters: Record<string, object>) => (name: string) => clusters[name] ?? {};

  it("reuses the compiled routes of unchanged route objects and recompiles those whose cluster changed", () => {
    const memo = new ValidationMemo();
    const v1 = memo.validate(bigConfig(60));
    memo.commit();
    const v2 = memo.validate(bigConfig(60, (routes) => (routes[10] = makeRoute({ name: "r10", match: { prefix: "/ten/" } }))));
    if (!v1.ok || !v2.ok) throw new Error("fixtures must validate");
    const cache = new RouteCompileCache<object>();
    const clusters = { backend: { id: 1 }, b: { id: 2 } };
    const t1 = compileRouteTable(v1.config.routeConfigs[0]!, bind(clusters), cache);
    expect(cache.stats).toEqual({ compiled: 60, reused: 0 });
    cache.stats = { compiled: 0, reused: 0 };
    const t2 = compileRouteTable(v2.config.routeConfigs[0]!, bind(clusters), cache);
    expect(cache.stats).toEqual({ compiled: 1, reused: 59 });
    expect(t2.any!.routes[11]).toBe(t1.any!.routes[11]);
    expect(t2.any!.routes[10]).not.toBe(t1.any!.routes[10]);
    expect(routeRequest(t2, { method: "GET", host: "x", path: "/ten/a", query: "", headers: {} }).route?.name).toBe("r10");
    expect(routeRequest(t2, { method: "GET", host: "x", path: "/re9/abc", query: "", headers: {} }).route?.name).toBe("r9");

    // Cluster "b" gets a new runtime: the 20 routes to it are compiled again, bound to it.
    cache.stats = { compiled: 0, reused: 0 };
    const rebuilt = { ...clusters, b: { id: 3 } };
    const t3 = compileRouteTable(v2.config.routeConfigs[0]!, bind(rebuilt), cache);
    expect(cache.stats).toEqual({ compiled: 20, reused: 40 });
    const r0 = t3.any!.routes[0]!.action;
    expect(r0.kind === "route" && r0.targets[0]!.cluster).toEqual({ id: 3 });
    // Nothing changed: the whole virtual host (and its route index) is the previous one.
    const t4 = compileRouteTable(v2.config.routeConfigs[0]!, bind(rebuilt), cache);
    expect(t4.any).toBe(t3.any);
  });
});
