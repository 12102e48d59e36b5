import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pluginFiles } from "../../src/cli/plugin-new.ts";

/**
 * The scaffold's types.ts is the plugin API a user's package compiles against, written out
 * for a package that does not depend on the proxy: it must name every phase the proxy's
 * plugin adapter calls (TPluginInstance), or a scaffolded plugin cannot use one.
 */
const phasesIn = (source: string, type: string): string[] => {
  const body = new RegExp(`export type ${type} = \\{([\\s\\S]*?)\\n\\};`).exec(source)?.[1] ?? "";
  return [...body.matchAll(/^\s+(on[A-Z]\w*)\?\(/gm)].map((m) => m[1]!).sort();
};

describe("plugin scaffold types", () => {
  it("declare every phase the plugin adapter calls", () => {
    const adapter = readFileSync(new URL("../../src/filters/code/plugin-filter.ts", import.meta.url), "utf8");
    const expected = phasesIn(adapter, "TPluginInstance");
    expect(expected.length).toBeGreaterThanOrEqual(6);
    expect(phasesIn(pluginFiles("demo")["types.ts"]!, "PluginInstance")).toEqual(expected);
  });
});
