import { describe, expect, it } from "vitest";
import { compileHeaderMutation, type TCompiledHeaderMutation } from "@switchyard/config-model/matcher";
import type { TFilterRequest, TFilterResponse } from "../../src/filters/api.ts";
import { FlatHeaderMap } from "../../src/filters/header-map.ts";
import { createHeaderMutationFilter } from "../../src/filters/header-mutation/filter.ts";

/** The request headers after the header-mutation filter's request phase. */
function mutateRequest(list: string[], mutations: TCompiledHeaderMutation[]): string[] {
  const headers = new FlatHeaderMap(list);
  void createHeaderMutationFilter(mutations, []).onRequestHeaders?.({ headers } as unknown as TFilterRequest);
  return headers.list;
}

describe("header mutations (the headerMutation filter)", () => {
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
    const headers = mutateRequest(["x-debug", "1", "x-env", "dev", "x-env", "staging", "x-tag", "one", "accept", "*/*"], [m]);
    expect(headers).toEqual(["x-tag", "one", "accept", "*/*", "x-env", "prod", "x-tag", "two"]);
    expect(new FlatHeaderMap(headers).get("x-tag")).toBe("one, two");
  });

  it("lets the later (virtual host) mutation win an overwrite", () => {
    const route = compileHeaderMutation({ add: [{ name: "x-level", value: "route", append: false }], remove: [] })!;
    const vhost = compileHeaderMutation({ add: [{ name: "x-level", value: "vhost", append: false }], remove: [] })!;
    expect(mutateRequest([], [route, vhost])).toEqual(["x-level", "vhost"]);
  });

  it("has only the phases it needs, and edits response headers in its response phase", () => {
    const m = compileHeaderMutation({ add: [{ name: "x-out", value: "1", append: false }], remove: ["server"] })!;
    const f = createHeaderMutationFilter([], [m]);
    expect(f.onRequestHeaders).toBeUndefined();
    const res = { status: 200, headers: new FlatHeaderMap(["server", "upstream", "content-type", "text/plain"]) };
    void f.onResponseHeaders?.(res as TFilterResponse, {} as TFilterRequest);
    expect(res.headers.list).toEqual(["content-type", "text/plain", "x-out", "1"]);
  });

  it("a header map refuses values that would split the header block", () => {
    expect(() => new FlatHeaderMap([]).set("x-a", "v\r\nset-cookie: x")).toThrow(TypeError);
    // A name that is not a token is refused where the filter sets it, not when the head is written.
    for (const name of ["x a", "x-a:", "x\r\ny", "", "x\u00e9"]) {
      expect(() => new FlatHeaderMap([]).set(name, "v"), JSON.stringify(name)).toThrow(TypeError);
      expect(() => new FlatHeaderMap([]).add(name, "v"), JSON.stringify(name)).toThrow(TypeError);
    }
  });
});
