import { describe, expect, it } from "vitest";
import { applyHeaderMutations, compileHeaderMutation, getHeader } from "../../src/filters/header-mutation/apply.ts";

describe("header mutations", () => {
  it("is null when there is nothing to do", () => {
    expect(compileHeaderMutation(undefined)).toBeNull();
    expect(compileHeaderMutation({ add: [], remove: [] })).toBeNull();
  });

  it("removes (case-insensitively), overwrites and appends, in order", () => {
    const m = compileHeaderMutation({
      add: [
        { name: "X-Env", value: "prod", append: false },
        { name: "x-tag", value: "two", append: true },
      ],
      remove: ["X-Debug"],
    })!;
    const headers = ["x-debug", "1", "x-env", "dev", "x-env", "staging", "x-tag", "one", "accept", "*/*"];
    applyHeaderMutations(headers, [m]);
    expect(headers).toEqual(["x-tag", "one", "accept", "*/*", "x-env", "prod", "x-tag", "two"]);
    expect(getHeader(headers, "x-env")).toBe("prod");
  });

  it("lets the later (virtual host) mutation win an overwrite", () => {
    const route = compileHeaderMutation({ add: [{ name: "x-level", value: "route", append: false }], remove: [] })!;
    const vhost = compileHeaderMutation({ add: [{ name: "x-level", value: "vhost", append: false }], remove: [] })!;
    const headers: string[] = [];
    applyHeaderMutations(headers, [route, vhost]);
    expect(headers).toEqual(["x-level", "vhost"]);
  });
});
