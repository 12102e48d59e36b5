import { describe, expect, it } from "vitest";
import { buildMarkers } from "../src/lib/chart-markers.ts";

const v = (version: number, at: number, message = `change ${version}`, rollback = false) => ({ version, at, message, author: "ann", rollback });
const r = (o: Partial<Parameters<typeof buildMarkers>[1][number]> & { version: number; startedAt: number }) => ({
  id: o.version,
  previousVersion: o.version - 1,
  group: "canary",
  state: "canary",
  finishedAt: null,
  reason: null,
  guardTrippedAt: null,
  ...o,
});

describe("buildMarkers", () => {
  it("marks publishes and rollbacks of versions", () => {
    const m = buildMarkers([v(1, 1000), v(2, 2000, "rollback to v1", true)], [], 0, 10_000);
    expect(m.map((x) => [x.kind, x.label, x.at])).toEqual([
      ["publish", "v1", 1000],
      ["rollback", "v2 ↺", 2000],
    ]);
  });

  it("draws a canary publish once, as a canary start, then its promotion", () => {
    const m = buildMarkers([v(3, 3000)], [r({ version: 3, startedAt: 3001, state: "promoted", finishedAt: 9000 })], 0, 10_000);
    expect(m.map((x) => [x.kind, x.at])).toEqual([
      ["canary", 3001],
      ["promote", 9000],
    ]);
    expect(m[0]!.detail).toContain('group "canary"');
  });

  it("tells a guard trip from a manual rollback of a canary", () => {
    const tripped = buildMarkers([], [r({ version: 4, startedAt: 100, state: "rolled_back", finishedAt: 500, guardTrippedAt: 499, reason: "5xx ratio +12%" })], 0, 10_000);
    expect(tripped.map((x) => x.kind)).toEqual(["canary", "guard"]);
    expect(tripped[1]!.detail).toContain("5xx ratio +12%");
    const manual = buildMarkers([], [r({ version: 4, startedAt: 100, state: "rolled_back", finishedAt: 500, reason: "by ann" })], 0, 10_000);
    expect(manual.map((x) => x.kind)).toEqual(["canary", "rollback"]);
  });

  it("keeps only the markers in the range, oldest first", () => {
    const m = buildMarkers([v(5, 50), v(6, 5000)], [r({ version: 7, startedAt: 20_000 })], 1000, 10_000);
    expect(m.map((x) => x.version)).toEqual([6]);
  });
});
