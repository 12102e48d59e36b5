import { describe, expect, it } from "vitest";
import { headerListTooLarge, maxHeaderListPairs } from "../../src/listener/h2-limits.ts";

describe("HTTP/2 header list limits", () => {
  it("counts HPACK's size: name + value + 32 per field, pseudo-headers included", () => {
    const fields = [":method", "GET", ":path", "/", "x-a", "b".repeat(100)];
    const size = 7 + 3 + 32 + 5 + 1 + 32 + 3 + 100 + 32;
    expect(headerListTooLarge(fields, size)).toBe(false);
    expect(headerListTooLarge(fields, size - 1)).toBe(true);
  });

  it("allows the four pseudo-headers on top of the field limit", () => {
    expect(maxHeaderListPairs(100)).toBe(104);
  });
});
