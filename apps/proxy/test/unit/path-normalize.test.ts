import { ZPathNormalization } from "@switchyard/config-model";
import { describe, expect, it } from "vitest";
import { normalizeTarget } from "../../src/listener/path-normalize.ts";

const on = ZPathNormalization.parse({});
const ok = (target: string, policy = on, method = "GET") => {
  const v = normalizeTarget(target, method, policy);
  if (v.kind !== "ok") throw new Error(`${target}: ${JSON.stringify(v)}`);
  return v.target;
};
const kind = (target: string, policy = on) => normalizeTarget(target, "GET", policy).kind;

describe("normalizeTarget (defaults: normalize, mergeSlashes, escapedSlashes redirect)", () => {
  it.each([
    ["/admin/users", "/admin/users"],
    ["//admin/users", "/admin/users"],
    ["/./admin/users", "/admin/users"],
    ["/%61dmin/users", "/admin/users"],
    ["/x/../admin/users", "/admin/users"],
    ["/public/../admin/users", "/admin/users"],
    ["/public/%2e%2e/admin/users", "/admin/users"],
    ["/public/%2E%2E/admin/users", "/admin/users"],
    ["/public/.%2E/admin/users", "/admin/users"],
    ["/public\\..\\admin/users", "/admin/users"],
    ["/../../admin", "/admin"],
    ["/a/b/..", "/a/"],
    ["/a/.", "/a/"],
    ["/..", "/"],
    ["/a%7eb%3a", "/a~b%3A"],
    ["/caf%c3%a9", "/caf%C3%A9"],
    ["/a?x=/../y&z=%zz", "/a?x=/../y&z=%zz"],
    ["/a//b?q", "/a/b?q"],
    ["/a;b=1/c", "/a;b=1/c"],
  ])("%s -> %s", (input, expected) => {
    expect(ok(input)).toBe(expected);
  });

  it.each([
    ["/%2fadmin/users", "/admin/users"],
    ["/public/..%2fadmin/users", "/admin/users"],
    ["/public/..%2Fadmin", "/admin"],
    ["/public/..%5cadmin", "/admin"],
  ])("escaped slashes redirect: %s -> %s", (input, location) => {
    expect(normalizeTarget(input, "GET", on)).toEqual({ kind: "redirect", location, authority: null });
  });

  it.each([
    ["/%zzadmin", "bad escape"],
    ["/a%2", "truncated escape"],
    ["/a%00b", "escaped NUL"],
    ["/a\x00b", "raw NUL"],
    ["/caf\u00e9", "raw non-ASCII"],
    ["/a b", "space"],
    ["/a#frag", "fragment"],
    ["/..;/admin", "dot segment with parameters"],
    ["/public/..;/admin", "dot segment with parameters"],
    ["/public/%2e%2e;x/admin", "escaped dot segment with parameters"],
    ["/%c0%ae%c0%ae/admin", "overlong UTF-8 dots"],
    ["/%e0%80%af", "overlong UTF-8 slash"],
    ["/%ed%a0%80", "UTF-16 surrogate in UTF-8"],
    ["/%c3", "truncated UTF-8"],
    ["admin", "no leading slash"],
    ["http://@x/a", "userinfo"],
    ["http:///a", "empty authority"],
    ["ftp://x/a", "other scheme"],
  ])("invalid: %s (%s)", (input) => {
    expect(kind(input)).toBe("invalid");
  });

  it("'*' is a target for OPTIONS only", () => {
    expect(ok("*", on, "OPTIONS")).toBe("*");
    expect(kind("*")).toBe("invalid");
  });

  it("absolute-form gives the authority and an origin-form target", () => {
    expect(normalizeTarget("http://api.example.com:8080/x/../admin?q=1", "GET", on)).toEqual({ kind: "ok", target: "/admin?q=1", authority: "api.example.com:8080" });
    expect(normalizeTarget("HTTPS://h?q", "GET", on)).toEqual({ kind: "ok", target: "/?q", authority: "h" });
    expect(normalizeTarget("http://h", "GET", on)).toEqual({ kind: "ok", target: "/", authority: "h" });
  });
});

describe("normalizeTarget switches", () => {
  it("escapedSlashes: keep forwards %2F upper-cased, reject refuses, unescape forwards the slash", () => {
    expect(ok("/public/..%2fadmin", { ...on, escapedSlashes: "keep" })).toBe("/public/..%2Fadmin");
    expect(kind("/public/..%2fadmin", { ...on, escapedSlashes: "reject" })).toBe("invalid");
    expect(ok("/public/..%2fadmin", { ...on, escapedSlashes: "unescape" })).toBe("/admin");
  });

  it("mergeSlashes: false keeps empty segments", () => {
    expect(ok("//a//b", { ...on, mergeSlashes: false })).toBe("//a//b");
  });

  it("normalize: false keeps escapes and dots, but bad escapes are still refused", () => {
    const raw = { normalize: false, mergeSlashes: false, escapedSlashes: "keep" as const };
    expect(ok("/x/../%61dmin", raw)).toBe("/x/../%61dmin");
    expect(ok("/a\\b", raw)).toBe("/a\\b");
    expect(kind("/a%zz", raw)).toBe("invalid");
    expect(kind("/a%00", raw)).toBe("invalid");
  });

  it("is idempotent: a normalised target normalises to itself", () => {
    for (const t of ["/admin/users", "/a/", "/a~b%3A", "/caf%C3%A9", "/a;b=1/c?q=%zz"]) expect(ok(ok(t))).toBe(ok(t));
  });
});
