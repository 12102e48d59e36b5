import { describe, expect, it } from "vitest";
import { parseNackText } from "../src/lib/nack.ts";

describe("parseNackText", () => {
  it("splits the hub's text into the error and its path: message issues", () => {
    const text = 'config refused\nrouteConfigs[0].virtualHosts[1].routes[3].route.cluster: unknown cluster "userz"\nlisteners[0].httpFilters[0].config: expected string\n(+2 more)';
    expect(parseNackText(text)).toEqual({
      error: "config refused",
      issues: [
        { path: "routeConfigs[0].virtualHosts[1].routes[3].route.cluster", message: 'unknown cluster "userz"' },
        { path: "listeners[0].httpFilters[0].config", message: "expected string" },
      ],
      more: 2,
    });
  });

  it("keeps a plain error and lines without a path", () => {
    expect(parseNackText("apply threw: boom")).toEqual({ error: "apply threw: boom", issues: [], more: 0 });
    expect(parseNackText("refused\nsomething odd happened").issues).toEqual([{ path: "", message: "something odd happened" }]);
  });
});
