/**
 * The Nodes page's inventory per group (issue #14 item 7), read by the service from a real
 * database: plugins counted over each group's connected nodes (a disconnected node and
 * another group's node do not count), and the wasm modules of the version each group is
 * targeted at — a canary group sees its own version's module, the rest the stable one.
 */
import { ZHelloMessage } from "@switchyard/config-model";
import { publishVersion, recordNodeDisconnected, recordNodeHello, replaceWorkingConfig } from "@switchyard/db";
import { createTestDatabase, type TTestDatabase } from "@switchyard/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileWat, minimalFilterWat, testFilterWat, wasmSecret } from "../../proxy/test/helpers/wasm-modules.ts";
import { groupInventory } from "../src/server/services/node-inventory.ts";

let t: TTestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

const config = (geo: Buffer, listeners: string[]) => ({
  listeners: listeners.map((name, i) => ({ name, address: "127.0.0.1", port: 18_000 + i, routeConfig: "main", httpFilters: [{ type: "wasm", name: "geo", module: { secret: "geo" } }] })),
  routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "ok", match: { prefix: "/" }, directResponse: { status: 200 } }] }] }],
  secrets: [wasmSecret("geo", geo)],
});
const hello = (nodeId: string, group: string, plugins: { module: string; name: string; version: string }[]) => ZHelloMessage.parse({ type: "hello", nodeId, group, capabilities: { plugins } });

describe("groupInventory", () => {
  it("lists per group its connected nodes' plugins and its target version's wasm modules", async () => {
    const stableModule = await compileWat(minimalFilterWat());
    const canaryModule = await compileWat(testFilterWat());
    const tenant = { module: "@acme/tenant", name: "tenant", version: "1.2.0" };
    const audit = { module: "/opt/audit.js", name: "audit", version: "0.1.0" };

    await replaceWorkingConfig(t.db, config(stableModule, ["edge"]), { actor: "test" });
    const stable = await publishVersion(t.db, { actor: "test", message: "stable" });
    await replaceWorkingConfig(t.db, config(canaryModule, ["edge", "admin"]), { actor: "test" });
    const canary = await publishVersion(t.db, { actor: "test", message: "canary", canary: { group: "canary" } });

    await recordNodeHello(t.db, hello("edge-1", "edge", [tenant]));
    await recordNodeHello(t.db, hello("edge-2", "edge", [tenant, audit]));
    await recordNodeHello(t.db, hello("edge-3", "edge", [audit]));
    await recordNodeDisconnected(t.db, "edge-3");
    await recordNodeHello(t.db, hello("canary-1", "canary", [{ ...tenant, version: "1.1.0" }]));

    const inv = await groupInventory(t.db);
    expect(inv.map((g) => g.group)).toEqual(["canary", "edge"]);
    const [c, e] = inv;
    expect(e).toMatchObject({ nodes: 3, connected: 2, targetVersions: [stable.version] });
    expect(e!.plugins).toEqual([
      { ...tenant, nodes: 2 },
      { ...audit, nodes: 1 },
    ]);
    expect(e!.wasmModules).toEqual([{ name: "geo", sha256: wasmSecret("geo", stableModule).sha256, bytes: stableModule.length, listeners: ["edge"], versions: [stable.version] }]);

    expect(c).toMatchObject({ nodes: 1, connected: 1, targetVersions: [canary.version], plugins: [{ ...tenant, version: "1.1.0", nodes: 1 }] });
    expect(c!.wasmModules).toEqual([{ name: "geo", sha256: wasmSecret("geo", canaryModule).sha256, bytes: canaryModule.length, listeners: ["edge", "admin"], versions: [canary.version] }]);
  });
});
