import { hashConfig, parseConfig } from "@switchyard/config-model";
import { makeConfig } from "@switchyard/config-model/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getWorkingConfig, listAudit, replaceWorkingConfig } from "../src/index.ts";
import { createTestDatabase, type TTestDatabase } from "../src/testing/test-database.ts";
import { fullConfig } from "./helpers/full-config.ts";

let t: TTestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

describe("working config", () => {
  it("starts empty at revision 0", async () => {
    const { config, revision } = await getWorkingConfig(t.db);
    expect(revision).toBe(0);
    expect(config).toEqual({ listeners: [], routeConfigs: [], clusters: [], secrets: [], rateLimitPolicies: [] });
  });

  it("round-trips every kind of resource through the tables, keeping order", async () => {
    const input = fullConfig();
    const expected = parseConfig(input);
    const result = await replaceWorkingConfig(t.db, input, { actor: "alice" });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.revision).toBe(1);
    expect(result.config).toEqual(expected);

    const read = await getWorkingConfig(t.db);
    expect(read.revision).toBe(1);
    expect(read.config).toEqual(expected);
    expect(hashConfig(read.config)).toBe(hashConfig(expected));
    // Route order is semantic (first match wins): exactly as written, not alphabetical.
    expect(read.config.routeConfigs[0]?.virtualHosts[0]?.routes.map((r) => r.name)).toEqual(["users", "legacy", "ping", "z-last", "a-catch-all"]);
    expect(read.config.listeners.map((l) => l.name)).toEqual(["public", "secure", "db"]);
    expect(read.config.clusters[0]?.endpoints.map((e) => e.port)).toEqual([9001, 9002]);
    expect(Object.isFrozen(read.config)).toBe(true);

    // One row per resource in the normalised tables.
    const p = t.db.prisma;
    expect(await p.listener.count()).toBe(3);
    expect(await p.routeConfig.count()).toBe(2);
    expect(await p.virtualHost.count()).toBe(2);
    expect(await p.route.count()).toBe(6);
    expect(await p.cluster.count()).toBe(3);
    expect(await p.endpoint.count()).toBe(3);
    expect(await p.secret.count()).toBe(2);
    expect(await p.rateLimitPolicy.count()).toBe(2);
  });

  it("replaces everything on the next write and bumps the revision", async () => {
    const result = await replaceWorkingConfig(t.db, makeConfig(), { actor: "bob" });
    expect(result).toMatchObject({ ok: true, revision: 2 });
    const read = await getWorkingConfig(t.db);
    expect(read.config).toEqual(parseConfig(makeConfig()));
    expect(await t.db.prisma.route.count()).toBe(1);
    expect(await t.db.prisma.secret.count()).toBe(0);
  });

  it("refuses an invalid config with paths, storing nothing", async () => {
    const before = await getWorkingConfig(t.db);
    const bad = makeConfig({
      clusters: [{ name: "backend", endpoints: [{ address: "127.0.0.1", port: 70000 }] }],
      routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "r", match: { prefix: "/" }, route: { cluster: "userz" } }] }] }],
    });
    const result = await replaceWorkingConfig(t.db, bad, { actor: "mallory" });
    expect(result.ok).toBe(false);
    if (result.ok || !("issues" in result)) throw new Error("expected issues");
    expect(result.issues).toContainEqual(expect.objectContaining({ path: "clusters[0].endpoints[0].port" }));

    const unknownCluster = await replaceWorkingConfig(
      t.db,
      makeConfig({ routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "r", match: { prefix: "/" }, route: { cluster: "userz" } }] }] }] }),
      { actor: "mallory" },
    );
    if (unknownCluster.ok || !("issues" in unknownCluster)) throw new Error("expected issues");
    expect(unknownCluster.issues).toContainEqual({ path: "routeConfigs[0].virtualHosts[0].routes[0].route.cluster", message: 'unknown cluster "userz"' });

    const after = await getWorkingConfig(t.db);
    expect(after).toEqual(before);
    expect((await listAudit(t.db, { actor: "mallory" })).length).toBe(0);
  });

  it("answers a stale expectedRevision with a conflict and changes nothing", async () => {
    const { revision } = await getWorkingConfig(t.db);
    const stale = await replaceWorkingConfig(t.db, fullConfig(), { actor: "carol", expectedRevision: revision - 1 });
    expect(stale).toEqual({ ok: false, conflict: { currentRevision: revision } });
    expect((await getWorkingConfig(t.db)).revision).toBe(revision);

    const fresh = await replaceWorkingConfig(t.db, fullConfig(), { actor: "carol", expectedRevision: revision });
    expect(fresh).toMatchObject({ ok: true, revision: revision + 1 });
  });

  it("lets only one of two writers with the same expectedRevision win", async () => {
    const { revision } = await getWorkingConfig(t.db);
    const results = await Promise.all([
      replaceWorkingConfig(t.db, makeConfig(), { actor: "w1", expectedRevision: revision }),
      replaceWorkingConfig(t.db, fullConfig(), { actor: "w2", expectedRevision: revision }),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && "conflict" in r)).toHaveLength(1);
    expect((await getWorkingConfig(t.db)).revision).toBe(revision + 1);
  });

  it("writes an audit row per successful write", async () => {
    const rows = await listAudit(t.db, { action: "config.replace" });
    expect(rows.map((r) => r.actor)).toContain("alice");
    const alice = rows.find((r) => r.actor === "alice");
    expect(alice?.target).toBe("working-config");
    expect(alice?.details).toMatchObject({ revision: 1 });
  });
});
