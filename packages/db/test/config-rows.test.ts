import { describe, expect, it } from "vitest";
import { assignPositions } from "../src/config-rows.ts";

/** Applies new positions and returns the names in stored order (what a fresh read sees). */
function order(names: string[], stored: Map<string, number>): { order: string[]; rewritten: string[] } {
  const next = assignPositions(names, stored);
  const all = new Map(stored);
  for (const [n, p] of next) all.set(n, p);
  return { order: [...names].sort((a, b) => all.get(a)! - all.get(b)!), rewritten: [...next.keys()].sort() };
}

describe("assignPositions", () => {
  const stored = new Map([["a", 0], ["b", 1], ["c", 2], ["d", 3], ["e", 4]]);

  it("keeps every stored position when nothing moved, and places appended members after the last", () => {
    expect(order(["a", "b", "c", "d", "e"], stored)).toEqual({ order: ["a", "b", "c", "d", "e"], rewritten: [] });
    expect(order(["a", "b", "c", "d", "e", "f", "g"], stored)).toEqual({ order: ["a", "b", "c", "d", "e", "f", "g"], rewritten: ["f", "g"] });
  });

  it("moves one member by rewriting only that one, whichever way it goes", () => {
    expect(order(["e", "a", "b", "c", "d"], stored)).toEqual({ order: ["e", "a", "b", "c", "d"], rewritten: ["e"] });
    expect(order(["b", "c", "d", "e", "a"], stored)).toEqual({ order: ["b", "c", "d", "e", "a"], rewritten: ["a"] });
    expect(order(["a", "x", "b", "c", "d", "e"], stored)).toEqual({ order: ["a", "x", "b", "c", "d", "e"], rewritten: ["x"] });
  });

  it("renumbers the group once repeated insertions at one spot exhaust the gap", () => {
    let names = ["a", "b"];
    let positions = new Map([["a", 0], ["b", 1]]);
    for (let i = 0; i < 80; i++) {
      names = ["a", `n${i}`, ...names.slice(1)];
      for (const [n, p] of assignPositions(names, positions)) positions.set(n, p);
      positions = new Map(names.map((n) => [n, positions.get(n)!]));
      expect([...names].sort((x, y) => positions.get(x)! - positions.get(y)!)).toEqual(names);
    }
  });
});
