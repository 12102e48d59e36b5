import { describe, expect, it } from "vitest";
import { compileRouteTable, matchRoute, type TCompiledVirtualHost } from "../src/matcher/index.ts";
import { compileLinearRegex, regexLiteralPrefix } from "../src/linear-regex.ts";
import { ZRouteConfig } from "../src/route.ts";

/** The first-segment index must never change which route wins: checked against the linear walk. */

type TMatch = { prefix?: string; path?: string; regex?: string; caseSensitive?: boolean; methods?: string[] };

function table(matches: TMatch[]) {
  const rc = ZRouteConfig.parse({
    name: "rc",
    virtualHosts: [{ name: "v", domains: ["*"], routes: matches.map((match, i) => ({ name: `r${i}`, match, directResponse: { status: 200, body: String(i) } })) }],
  });
  return compileRouteTable(rc, (n: string) => n).any as TCompiledVirtualHost<string>;
}

const linear = (vh: TCompiledVirtualHost<string>, path: string, method = "GET") => matchRoute({ ...vh, index: null }, { path, method, host: "x", headers: {}, query: "" })?.name ?? null;
const indexed = (vh: TCompiledVirtualHost<string>, path: string, method = "GET") => matchRoute(vh, { path, method, host: "x", headers: {}, query: "" })?.name ?? null;

describe("route index", () => {
  it("finds the literal start of a regex, stopping before a quantified character and refusing alternations", () => {
    expect(regexLiteralPrefix("/re1/[a-z]+")).toBe("/re1/");
    expect(regexLiteralPrefix("/ab?c")).toBe("/a");
    expect(regexLiteralPrefix("/a|/b")).toBe("");
    expect(regexLiteralPrefix(".*")).toBe("");
    expect(regexLiteralPrefix("/x\\d+")).toBe("/x");
    expect(regexLiteralPrefix("/\u{1f600}?")).toBe("/");
    expect(regexLiteralPrefix("/\u{1f600}x")).toBe("/\u{1f600}x");
    expect(regexLiteralPrefix("(?i)/api")).toBe("");
  });

  it("a compiled regex refuses inputs without its literal start before running RE2, and matches as RE2 does", () => {
    const cases: [string, string, boolean][] = [
      ["/api/orders/[0-9]+", "/api/orders/12", true],
      ["/api/orders/[0-9]+", "/api/orders/", false],
      ["/api/orders/[0-9]+", "/small", false],
      ["/ab?c", "/ac", true],
      ["/ab?c", "/abc", true],
      ["/\u{1f600}?", "/", true],
      ["/\u{1f600}+", "/\u{1f600}\u{1f600}", true],
      ["(?i)/API/x", "/api/X", true],
      ["/a|/b", "/b", true],
      ["/v2/.*", "/v2/", true],
      ["/v2/.*", "/v1/", false],
    ];
    for (const [pattern, input, expected] of cases) expect(compileLinearRegex(pattern).test(input), `${pattern} ~ ${input}`).toBe(expected);
  });

  it("is built for a large table and picks the same route as a linear walk, for every kind of route", () => {
    const matches: TMatch[] = [];
    for (let i = 0; i < 160; i++) {
      const k = i % 8;
      if (k === 0) matches.push({ prefix: `/svc${i}/` });
      else if (k === 1) matches.push({ regex: `/re${i}/[a-z]+/[0-9]+` });
      else if (k === 2) matches.push({ path: `/exact${i}` });
      else if (k === 3) matches.push({ path: `/deep${i}/x/y` });
      else if (k === 4) matches.push({ prefix: `/svc${i - 4}/special`, methods: ["POST"] });
      else if (k === 5) matches.push({ prefix: `/CI${i}/`, caseSensitive: false });
      else if (k === 6) matches.push({ regex: `/opt${i}s?/x` });
      else matches.push({ prefix: `/svc${i - 7}` }); // no second slash: unindexed, also matches /svc<n>0...
    }
    matches.splice(80, 0, { regex: "/(alpha|beta)/.*" }, { prefix: "/" });
    const vh = table(matches);
    expect(vh.index).not.toBeNull();
    const paths = ["/", "/nothing", "/svc0/a", "/svc8/special", "/svc80/x", "/svc1", "/re1/abc/12", "/re9/abc/12", "/re9/abc/x", "/exact2", "/exact2/", "/deep3/x/y", "/deep3/x",
      "/ci5/a", "/CI5/a", "/Ci13/b", "/opt6/x", "/opt6s/x", "/opt6ss/x", "/alpha/1", "/beta/", "/svc152/z", "/svc1520/z", "/re153/q/1"];
    for (const p of paths) for (const m of ["GET", "POST"]) expect(indexed(vh, p, m), `${m} ${p}`).toBe(linear(vh, p, m));
  });

  it("keeps config order when an unindexed route comes before an indexed one", () => {
    const matches: TMatch[] = Array.from({ length: 20 }, (_, i) => ({ prefix: `/s${i}/` }));
    matches.splice(5, 0, { regex: ".*/s9/.*" });
    const vh = table(matches);
    expect(vh.index).not.toBeNull();
    expect(indexed(vh, "/s9/x")).toBe("r5");
    expect(indexed(vh, "/s3/x")).toBe("r3");
  });

  it("is skipped for small tables and for tables with many unindexed routes", () => {
    expect(table([{ prefix: "/a/" }, { prefix: "/" }]).index).toBeNull();
    expect(table(Array.from({ length: 100 }, (_, i) => ({ regex: `(x|y)${i}` }))).index).toBeNull();
  });
});
