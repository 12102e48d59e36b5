import { hashConfig, parseConfig, type TConfig } from "@switchyard/config-model";
import { makeConfig } from "@switchyard/config-model/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changesSince, commitWorkingConfig, createDb, createSecretBox, getWorkingConfig, listAudit, parseSecretKey, replaceWorkingConfig } from "../src/index.ts";
import { createTestDatabase, TEST_SECRET_KEY, type TTestDatabase } from "../src/testing/test-database.ts";
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

    // One row per resource, routes included.
    expect(await rowCounts()).toEqual({ listeners: 3, routeConfigs: 2, routes: 6, clusters: 3, secrets: 2, rateLimitPolicies: 2 });
  });

  it("replaces everything on the next write and bumps the revision", async () => {
    const result = await replaceWorkingConfig(t.db, makeConfig(), { actor: "bob" });
    expect(result).toMatchObject({ ok: true, revision: 2 });
    const read = await getWorkingConfig(t.db);
    expect(read.config).toEqual(parseConfig(makeConfig()));
    expect(await rowCounts()).toEqual({ listeners: 1, routeConfigs: 1, routes: 1, clusters: 1 });
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
    expect(alice?.details).toMatchObject({ revision: 1, source: "replace", changes: expect.arrayContaining([{ kind: "routes", scope: "main/api", name: "users", op: "add" }]) });
  });
});

describe("an edit writes only what it changes", () => {
  /** The rows' xmin (the transaction that last wrote each row): unchanged rows keep theirs. */
  async function writers(): Promise<Map<string, string>> {
    const rows = await t.db.prisma.$queryRaw<{ key: string; xmin: string }[]>`SELECT kind || '/' || scope || '/' || name AS key, xmin::text AS xmin FROM "ConfigResource"`;
    return new Map(rows.map((r) => [r.key, r.xmin]));
  }
  const touched = (before: Map<string, string>, after: Map<string, string>) =>
    [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).sort();

  it("rewrites one route row when one route changes, and records the change set", async () => {
    await replaceWorkingConfig(t.db, fullConfig(), { actor: "setup" });
    const base = await getWorkingConfig(t.db);
    const before = await writers();
    const next = editRoutes(base.config, "main", "api", (routes) => routes.map((r) => (r.name === "legacy" ? { ...r, match: { ...r.match, prefix: "/older" } } : r)));
    const result = await commitWorkingConfig(t.db, base, next, { actor: "erin", ip: "192.0.2.1", source: "edit" });
    expect(result).toMatchObject({ ok: true, revision: base.revision + 1, changes: [{ kind: "routes", scope: "main/api", name: "legacy", op: "change", fields: ["match.prefix"] }] });
    expect(touched(before, await writers())).toEqual(["routes/main/api/legacy"]);
    expect((await getWorkingConfig(t.db)).config.routeConfigs[0]?.virtualHosts[0]?.routes.find((r) => r.name === "legacy")?.match.prefix).toBe("/older");
    const [change] = await changesSince(t.db, base.revision);
    expect(change).toMatchObject({ revision: base.revision + 1, actor: "erin", ip: "192.0.2.1", source: "edit", changes: [{ name: "legacy", op: "change" }] });
  });

  it("moves one route by rewriting that row only, and keeps the order across a fresh read", async () => {
    const base = await getWorkingConfig(t.db);
    const names = base.config.routeConfigs[0]!.virtualHosts[0]!.routes.map((r) => r.name);
    const before = await writers();
    // The last route to the front: every other route keeps its stored position.
    const next = editRoutes(base.config, "main", "api", (routes) => [routes[routes.length - 1]!, ...routes.slice(0, -1)]);
    const result = await commitWorkingConfig(t.db, base, next, { actor: "erin", source: "edit" });
    expect(result).toMatchObject({ ok: true, changes: [{ kind: "routes", name: names[names.length - 1], op: "move" }] });
    expect(touched(before, await writers())).toEqual([`routes/main/api/${names[names.length - 1]}`]);
    // A second handle has an empty cache: the order comes from the stored positions.
    const other = createDb(t.url, { secrets: createSecretBox(parseSecretKey(TEST_SECRET_KEY)) });
    try {
      const read = await getWorkingConfig(other);
      expect(read.config.routeConfigs[0]?.virtualHosts[0]?.routes.map((r) => r.name)).toEqual([names[names.length - 1], ...names.slice(0, -1)]);
      expect(hashConfig(read.config)).toBe(hashConfig(next));
    } finally {
      await other.close();
    }
  });

  it("refuses a commit planned against an older revision", async () => {
    const base = await getWorkingConfig(t.db);
    await replaceWorkingConfig(t.db, fullConfig(), { actor: "someone" });
    const stale = await commitWorkingConfig(t.db, base, base.config, { actor: "erin", source: "edit" });
    expect(stale).toEqual({ ok: false, conflict: { currentRevision: base.revision + 1 } });
  });
});

async function rowCounts(): Promise<Record<string, number>> {
  const rows = await t.db.prisma.configResource.groupBy({ by: ["kind"], _count: { _all: true } });
  return Object.fromEntries(rows.map((r) => [r.kind, r._count._all]));
}

/** Copy-on-write edit of one virtual host's routes (what the console's services do). */
function editRoutes(config: TConfig, rc: string, vh: string, edit: (routes: TConfig["routeConfigs"][number]["virtualHosts"][number]["routes"]) => TConfig["routeConfigs"][number]["virtualHosts"][number]["routes"]): TConfig {
  return {
    ...config,
    routeConfigs: config.routeConfigs.map((r) =>
      r.name !== rc ? r : { ...r, virtualHosts: r.virtualHosts.map((v) => (v.name !== vh ? v : { ...v, routes: edit(v.routes) })) },
    ),
  };
}
