import { ConfigValidationError, hashConfig, parseConfig } from "@switchyard/config-model";
import { makeConfig } from "@switchyard/config-model/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  diffVersions,
  getLatestVersion,
  getVersion,
  getWorkingConfig,
  listAudit,
  listVersions,
  listenForVersions,
  publishVersion,
  replaceWorkingConfig,
  rollbackToVersion,
  seedDemoConfig,
  VersionNotFoundError,
} from "../src/index.ts";
import { createTestDatabase, type TTestDatabase } from "../src/testing/test-database.ts";
import { fullConfig } from "./helpers/full-config.ts";

let t: TTestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

/** Collects notified versions; `next(n)` waits until n have arrived. */
function collector() {
  const seen: number[] = [];
  let wake: (() => void) | undefined;
  return {
    seen,
    onVersion: (v: number) => {
      seen.push(v);
      wake?.();
    },
    async next(count: number, timeoutMs = 5_000): Promise<number[]> {
      const deadline = Date.now() + timeoutMs;
      while (seen.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} notifications, got ${JSON.stringify(seen)}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
      return seen.slice(0, count);
    },
  };
}

describe("versions", () => {
  it("has none before the first publish", async () => {
    expect(await getLatestVersion(t.db)).toBeNull();
    expect(await listVersions(t.db)).toEqual([]);
    expect(await diffVersions(t.db, 1, 2)).toBeNull();
  });

  it("publishes v1 and v2 with parent, hash, author and message, and NOTIFYs each", async () => {
    const heard = collector();
    const listener = await listenForVersions(t.url, heard.onVersion);
    try {
      await replaceWorkingConfig(t.db, makeConfig(), { actor: "alice" });
      const v1 = await publishVersion(t.db, { actor: "alice", message: "first" });
      expect(v1).toEqual({ version: 1, hash: hashConfig(parseConfig(makeConfig())), unchanged: false, rolloutId: null });

      await replaceWorkingConfig(t.db, fullConfig(), { actor: "bob" });
      const v2 = await publishVersion(t.db, { actor: "bob", message: "every resource" });
      expect(v2).toMatchObject({ version: 2, unchanged: false });
      expect(v2.hash).toBe(hashConfig(parseConfig(fullConfig())));

      expect(await heard.next(2)).toEqual([1, 2]);
    } finally {
      await listener.close();
    }

    const latest = await getLatestVersion(t.db);
    expect(latest).toMatchObject({ version: 2, parentVersion: 1, author: "bob", message: "every resource" });
    expect(latest?.config).toEqual(parseConfig(fullConfig()));
    expect(latest?.createdAt).toBeInstanceOf(Date);
    expect(await getVersion(t.db, 1)).toMatchObject({ version: 1, parentVersion: null, author: "alice", message: "first" });
    expect(await getVersion(t.db, 99)).toBeNull();

    const list = await listVersions(t.db);
    expect(list.map((v) => v.version)).toEqual([2, 1]);
    expect(list[0]).not.toHaveProperty("config");
    expect(await listVersions(t.db, { limit: 1 })).toHaveLength(1);
  });

  it("still makes a version when nothing changed, flagged unchanged", async () => {
    const v3 = await publishVersion(t.db, { actor: "bob", message: "again" });
    expect(v3).toMatchObject({ version: 3, unchanged: true });
    expect(v3.hash).toBe((await getVersion(t.db, 2))?.hash);
  });

  it("diffs two versions by resource", async () => {
    const diff = await diffVersions(t.db, 1, 2);
    expect(diff?.empty).toBe(false);
    expect(diff?.clusters.added).toEqual(["shadow", "k8s"]);
    expect(diff?.secrets.added).toEqual(["site-cert", "mesh-ca"]);
    expect(diff?.listeners.added).toEqual(["secure", "db"]);
    expect(diff?.clusters.changed.map((c) => c.name)).toEqual(["backend"]);
    expect((await diffVersions(t.db, 2, 3))?.empty).toBe(true);
    expect(await diffVersions(t.db, 1, 42)).toBeNull();
  });

  it("rolls back by publishing the old content as a new version and resetting the working config", async () => {
    const heard = collector();
    const listener = await listenForVersions(t.url, heard.onVersion);
    try {
      const rolled = await rollbackToVersion(t.db, 1, { actor: "carol" });
      expect(rolled.version).toBe(4);
      expect(rolled.hash).toBe((await getVersion(t.db, 1))?.hash);
      expect(await heard.next(1)).toEqual([4]);
    } finally {
      await listener.close();
    }
    const v4 = await getVersion(t.db, 4);
    expect(v4).toMatchObject({ parentVersion: 3, message: "rollback to v1", author: "carol" });
    expect(v4?.config).toEqual((await getVersion(t.db, 1))?.config);
    const working = await getWorkingConfig(t.db);
    expect(working.config).toEqual(parseConfig(makeConfig()));
    expect((await listAudit(t.db, { action: "version.rollback" }))[0]).toMatchObject({ actor: "carol", target: "v4" });

    await expect(rollbackToVersion(t.db, 77, { actor: "carol" })).rejects.toBeInstanceOf(VersionNotFoundError);
    expect((await getLatestVersion(t.db))?.version).toBe(4);
  });

  it("refuses to publish a working config that is invalid as a whole", async () => {
    // Rows written behind validation's back (hand edit, older console): a route to a cluster that is gone.
    // A hand edit bumps the revision, as every writer must (readers cache by revision).
    await t.db.prisma.configResource.deleteMany({ where: { kind: "clusters", name: "backend" } });
    await t.db.prisma.workingConfigMeta.update({ where: { id: 1 }, data: { revision: { increment: 1 } } });
    await expect(publishVersion(t.db, { actor: "dave", message: "broken" })).rejects.toSatisfy(
      (err) => err instanceof ConfigValidationError && err.issues.some((i) => i.message === 'unknown cluster "backend"'),
    );
    expect((await getLatestVersion(t.db))?.version).toBe(4);
    await replaceWorkingConfig(t.db, makeConfig(), { actor: "dave" });
  });

  it("gives concurrent publishes distinct, consecutive numbers", async () => {
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => publishVersion(t.db, { actor: `p${i}`, message: `burst ${i}` })));
    const numbers = results.map((r) => r.version).sort((a, b) => a - b);
    expect(numbers).toEqual([5, 6, 7, 8, 9]);
    const list = await listVersions(t.db, { limit: 5 });
    for (const v of list) expect(v.parentVersion).toBe(v.version - 1);
  });

  it("keeps listening after the LISTEN connection is killed", async () => {
    const heard = collector();
    let reconnects = 0;
    const listener = await listenForVersions(t.url, heard.onVersion, { onReconnect: () => reconnects++, maxBackoffMs: 200 });
    try {
      const admin = new pg.Client({ connectionString: t.url });
      await admin.connect();
      const killed = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN config_version' AND pid <> pg_backend_pid()",
      );
      await admin.end();
      expect(killed.rowCount).toBe(1);
      const deadline = Date.now() + 5_000;
      while (reconnects === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(reconnects).toBe(1);
      const v = await publishVersion(t.db, { actor: "erin", message: "after reconnect" });
      expect(await heard.next(1)).toEqual([v.version]);
    } finally {
      await listener.close();
    }
  });
});

describe("seedDemoConfig", () => {
  it("seeds v1 'demo config' on an empty database only, once even when raced", async () => {
    const fresh = await createTestDatabase();
    try {
      const demo = fullConfig();
      const seeded = await Promise.all([
        seedDemoConfig(fresh.db, demo, { actor: "system" }),
        seedDemoConfig(fresh.db, demo, { actor: "system" }),
      ]);
      expect(seeded.sort()).toEqual([false, true]);
      expect(await listVersions(fresh.db)).toEqual([expect.objectContaining({ version: 1, message: "demo config", parentVersion: null })]);
      expect((await getWorkingConfig(fresh.db)).config).toEqual(parseConfig(demo));
      expect(await seedDemoConfig(fresh.db, makeConfig(), { actor: "system" })).toBe(false);
      await expect(seedDemoConfig(fresh.db, { listeners: "nope" }, { actor: "system" })).rejects.toBeInstanceOf(ConfigValidationError);
    } finally {
      await fresh.drop();
    }
  });
});
